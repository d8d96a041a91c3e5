#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bus_call.py ADDRESS DEST PATH IFACE METHOD [SIGNATURE JSON-ARGS]: one D-Bus call, printed as
one JSON line {"ok": bool, "reply": [...]} or {"ok": false, "error": NAME, "message": TEXT}.
Tests run it as other users (setpriv) to see exactly which error a caller gets."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from busclient import BusCallError, BusClient  # noqa: E402


def main(argv):
    if len(argv) not in (6, 8):
        print(__doc__, file=sys.stderr)
        return 2
    address, dest, path, iface, method = argv[1:6]
    signature, args = (argv[6], json.loads(argv[7])) if len(argv) == 8 else (None, [])
    client = BusClient(address)
    try:
        reply = client.call(dest, path, iface, method, signature, args)
        print(json.dumps({"ok": True, "reply": list(reply)}))
    except BusCallError as e:
        print(json.dumps({"ok": False, "error": e.name, "message": e.message}))
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An SNTP test server (RFC 5905 server mode) for the time-source tests: it serves this
machine's clock plus a configurable offset, and misbehaves on demand. It never sets a clock
and only listens where it is told (loopback by default; an address inside a test network
namespace otherwise — docs/testing.md, "Two rules that protect the machine").

    ntp_server.py [--listen ADDR] [--port N] [--state FILE] [--stats FILE]
                  [--offset-ms MS] [--stratum N] [--refid ID] [--behaviour B]

It prints `READY <port>` on stdout once it listens. The state file (JSON) is read again
whenever it changes, so a test can change the server while it runs; its keys, all optional:

    offset_ms            served time minus this machine's clock (float; default 0)
    drift_ppm            the offset grows at this rate from the server's start (default 0)
    stratum              1..15 (default 1)
    refid                stratum 1: up to 4 ASCII characters (default "GPS");
                         stratum ≥ 2: an IPv4 address
    leap                 0..3, the leap indicator of good answers (default 0)
    root_delay_ms        (default 0.5)
    root_dispersion_ms   (default 1.0)
    delay_ms             wait this long before answering (default 0)
    behaviour            "normal" (default), or one fault:
        "silent"         no answer at all
        "kod"            a kiss-o'-death: leap 3, stratum 0, refid = kod_code (default RATE)
        "leap3"          a normal answer with leap indicator 3 (unsynchronised)
        "stratum0"       a normal answer with stratum 0 and refid "INIT"
        "wrong-origin"   the origin timestamp does not echo the request's transmit time
        "zero-transmit"  a transmit timestamp of 0
        "garbage"        48 random bytes
        "short"          the first 20 bytes of a good answer
        "client-mode"    a good answer with mode 3 instead of 4
    kod_code             the kiss code for "kod"

The stats file (JSON, replaced atomically after each request) counts what it did:
{"requests": N, "answered": N, "by_behaviour": {...}}.
"""

import argparse
import json
import os
import random
import socket
import struct
import sys
import time

NTP_UNIX_DELTA = 2208988800  # seconds from 1900-01-01 to 1970-01-01
DEFAULTS = {
    "offset_ms": 0.0,
    "drift_ppm": 0.0,
    "stratum": 1,
    "refid": "GPS",
    "leap": 0,
    "root_delay_ms": 0.5,
    "root_dispersion_ms": 1.0,
    "delay_ms": 0.0,
    "behaviour": "normal",
    "kod_code": "RATE",
}
BEHAVIOURS = ("normal", "silent", "kod", "leap3", "stratum0", "wrong-origin", "zero-transmit",
              "garbage", "short", "client-mode")


def ntp_stamp(unix_ns):
    """64-bit NTP timestamp (era-wrapped) for a Unix time in ns."""
    sec, ns = divmod(unix_ns, 1_000_000_000)
    frac = (ns << 32) // 1_000_000_000
    return (((sec + NTP_UNIX_DELTA) & 0xFFFFFFFF) << 32) | frac


def short_format(ms):
    """NTP short format (16.16 seconds) of a duration in ms."""
    return max(0, min(0xFFFFFFFF, int(ms / 1000.0 * 65536)))


def refid_bytes(stratum, refid):
    if stratum >= 2:
        return socket.inet_aton(refid)
    return refid.encode("ascii")[:4].ljust(4, b"\0")


class Server:
    def __init__(self, args):
        self.state_path = args.state
        self.stats_path = args.stats
        self.base = dict(DEFAULTS)
        self.base.update({k: v for k, v in (("offset_ms", args.offset_ms),
                                            ("stratum", args.stratum),
                                            ("refid", args.refid),
                                            ("behaviour", args.behaviour)) if v is not None})
        self.state = dict(self.base)
        self.state_mtime = None
        self.started_ns = time.time_ns()
        self.stats = {"requests": 0, "answered": 0, "by_behaviour": {}}

    def reload(self):
        if not self.state_path:
            return
        try:
            st = os.stat(self.state_path)
        except FileNotFoundError:
            return
        if st.st_mtime_ns == self.state_mtime:
            return
        try:
            with open(self.state_path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            print(f"ntp_server: state file {self.state_path} unreadable ({e}); kept the "
                  "previous state", file=sys.stderr, flush=True)
            return
        self.state_mtime = st.st_mtime_ns
        new = dict(self.base)
        new.update(data)
        if new["behaviour"] not in BEHAVIOURS:
            print(f"ntp_server: unknown behaviour {new['behaviour']!r}; kept the previous "
                  "state", file=sys.stderr, flush=True)
            return
        self.state = new

    def served_ns(self, host_ns):
        s = self.state
        elapsed = host_ns - self.started_ns
        return host_ns + int(s["offset_ms"] * 1e6) + int(elapsed * s["drift_ppm"] / 1e6)

    def answer(self, request, received_ns):
        s = self.state
        behaviour = s["behaviour"]
        if behaviour == "silent":
            return None
        if behaviour == "garbage":
            return random.randbytes(48)
        if len(request) < 48:
            return None  # not a request: real servers drop these too
        version = (request[0] >> 3) & 7 or 4
        origin = request[40:48]
        leap, stratum, refid = s["leap"], int(s["stratum"]), refid_bytes(int(s["stratum"]),
                                                                         s["refid"])
        mode = 4
        if behaviour == "kod":
            leap, stratum = 3, 0
            refid = s["kod_code"].encode("ascii")[:4].ljust(4, b"\0")
        elif behaviour == "leap3":
            leap = 3
        elif behaviour == "stratum0":
            stratum, refid = 0, b"INIT"
        elif behaviour == "client-mode":
            mode = 3
        if behaviour == "wrong-origin":
            origin = struct.pack("!Q", struct.unpack("!Q", origin)[0] ^ 0x0000_0001_8000_0000)
        if s["delay_ms"]:
            time.sleep(s["delay_ms"] / 1000.0)
        transmit_ns = self.served_ns(time.time_ns())
        receive_ns = self.served_ns(received_ns)
        packet = struct.pack(
            "!BBbbII4sQ8sQQ",
            (leap << 6) | (version << 3) | mode,
            stratum,
            struct.unpack("!b", request[2:3])[0],  # poll: echo the client's (signed)
            -20,  # precision: about a microsecond
            short_format(s["root_delay_ms"]),
            short_format(s["root_dispersion_ms"]),
            refid,
            ntp_stamp(transmit_ns - 1_000_000_000),  # reference: a second ago
            origin,
            ntp_stamp(receive_ns),
            0 if behaviour == "zero-transmit" else ntp_stamp(transmit_ns),
        )
        if behaviour == "short":
            return packet[:20]
        return packet

    def count(self, answered):
        b = self.state["behaviour"]
        self.stats["requests"] += 1
        self.stats["answered"] += 1 if answered else 0
        self.stats["by_behaviour"][b] = self.stats["by_behaviour"].get(b, 0) + 1
        if self.stats_path:
            tmp = self.stats_path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.stats, f)
            os.replace(tmp, self.stats_path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1",
                   help="address to listen on (loopback, or one inside a test namespace)")
    p.add_argument("--port", type=int, default=0, help="UDP port (0: any free one)")
    p.add_argument("--state", help="JSON state file, read again when it changes")
    p.add_argument("--stats", help="JSON file counting requests")
    p.add_argument("--offset-ms", type=float)
    p.add_argument("--stratum", type=int)
    p.add_argument("--refid")
    p.add_argument("--behaviour", choices=BEHAVIOURS)
    args = p.parse_args()
    if args.listen in ("0.0.0.0", "::", ""):
        p.error("refusing a wildcard address: give loopback or an address inside a test "
                "namespace")

    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.listen, args.port))
    server = Server(args)
    server.reload()
    print(f"READY {sock.getsockname()[1]}", flush=True)
    while True:
        request, peer = sock.recvfrom(2048)
        received_ns = time.time_ns()
        server.reload()
        reply = server.answer(request, received_ns)
        server.count(reply is not None)  # before answering: a client that reads it sees it
        if reply is not None:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass

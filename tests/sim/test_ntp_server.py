# SPDX-License-Identifier: LGPL-2.1-or-later
"""The SNTP test server (tests/sim/ntp_server.py) does what its docstring says: a plain
client written here from RFC 5905 reads the configured offset, and each fault shows in the
field it is meant to break. The time-source tests rely on it."""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "ntp_server.py")
NTP_UNIX_DELTA = 2208988800


def to_unix(stamp):
    return (stamp >> 32) - NTP_UNIX_DELTA + (stamp & 0xFFFFFFFF) / 2**32


def query(port, transmit=None, timeout=2.0):
    """One client-mode exchange; returns (fields, t1, t4) or None on timeout."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        t1 = time.time()
        sec = int(t1) + NTP_UNIX_DELTA
        stamp = transmit if transmit is not None else (sec << 32) | int((t1 % 1) * 2**32)
        s.sendto(struct.pack("!B39xQ", (4 << 3) | 3, stamp),
                 ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(512)
        except socket.timeout:
            return None
        t4 = time.time()
    finally:
        s.close()
    if len(data) < 48:
        return {"length": len(data)}, t1, t4
    first, stratum, poll, prec, rdelay, rdisp, refid, ref, orig, recv, xmit = struct.unpack(
        "!BBbbII4sQQQQ", data[:48])
    return {"length": len(data), "leap": first >> 6, "version": (first >> 3) & 7,
            "mode": first & 7, "stratum": stratum, "refid": refid, "origin": orig,
            "receive": recv, "transmit": xmit, "sent": stamp}, t1, t4


@pytest.fixture
def server():
    d = tempfile.mkdtemp(prefix="ntp-server-test.")
    state = os.path.join(d, "state.json")
    stats = os.path.join(d, "stats.json")
    p = subprocess.Popen([sys.executable, SERVER, "--state", state, "--stats", stats],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().split()
    assert line[0] == "READY", line
    port = int(line[1])

    def configure(**kw):
        with open(state + ".tmp", "w") as f:
            json.dump(kw, f)
        os.replace(state + ".tmp", state)
        # mtime granularity: make sure the next request sees a new mtime
        os.utime(state, ns=(time.time_ns(), time.time_ns()))

    try:
        yield port, configure, stats
    finally:
        p.kill()
        p.wait()
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        os.rmdir(d)


def test_offset_and_fields(server):
    port, configure, stats = server
    configure(offset_ms=250.0, stratum=2, refid="192.168.4.2")
    r, t1, t4 = query(port)
    assert r["mode"] == 4 and r["version"] == 4 and r["leap"] == 0
    assert r["stratum"] == 2 and socket.inet_ntoa(r["refid"]) == "192.168.4.2"
    assert r["origin"] == r["sent"]
    offset = ((to_unix(r["receive"]) - t1) + (to_unix(r["transmit"]) - t4)) / 2
    assert 0.2 < offset < 0.3, offset
    with open(stats) as f:
        assert json.load(f)["answered"] == 1


@pytest.mark.parametrize("behaviour,check", [
    ("kod", lambda r: r["stratum"] == 0 and r["leap"] == 3 and r["refid"] == b"RATE"),
    ("leap3", lambda r: r["leap"] == 3 and r["stratum"] == 1),
    ("stratum0", lambda r: r["stratum"] == 0 and r["refid"] == b"INIT"),
    ("wrong-origin", lambda r: r["origin"] != r["sent"]),
    ("zero-transmit", lambda r: r["transmit"] == 0),
    ("short", lambda r: r["length"] == 20),
    ("client-mode", lambda r: r["mode"] == 3),
    ("garbage", lambda r: r["length"] == 48),
])
def test_each_fault(server, behaviour, check):
    port, configure, _ = server
    configure(behaviour=behaviour)
    r, _, _ = query(port)
    assert check(r), r


def test_silent_then_back(server):
    port, configure, stats = server
    configure(behaviour="silent")
    assert query(port, timeout=0.5) is None
    configure(behaviour="normal")
    assert query(port)[0]["mode"] == 4
    with open(stats) as f:
        s = json.load(f)
    assert s["requests"] == 2 and s["answered"] == 1


def test_refuses_a_wildcard_address():
    p = subprocess.run([sys.executable, SERVER, "--listen", "0.0.0.0"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and "wildcard" in p.stderr

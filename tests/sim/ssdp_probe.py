#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs INSIDE a fresh network namespace (`unshare --net`, started by test_ccapi_sim.py): brings
up loopback with a multicast route, starts one ccapi-sim there, and talks SSDP to it the way a
client on the camera's network would. Prints one JSON object with what it saw. Nothing leaves the
namespace: it has no interface but lo."""

import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request

SSDP_ADDR = ("239.255.255.250", 1900)
CANON_ST = "urn:schemas-canon-com:service:ICPO-CameraControlAPIService:1"


def sh(*args):
    subprocess.run(args, check=True)


def parse_ssdp(data):
    lines = data.decode("utf-8", "replace").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().upper()] = v.strip()
    return {"start": lines[0], "headers": headers}


def listener():
    """A socket that receives every NOTIFY sent to the SSDP group on lo."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("", 1900))
    mreq = struct.pack("4s4s", socket.inet_aton(SSDP_ADDR[0]), socket.inet_aton("127.0.0.1"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    return s


def drain(sock, seconds):
    """Every datagram received within `seconds`."""
    out = []
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return out
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(65536)
        except socket.timeout:
            return out
        out.append(parse_ssdp(data))


def drain_until(sock, seconds, done):
    """Datagrams until done(those so far) holds or `seconds` have passed."""
    out = []
    end = time.monotonic() + seconds
    while not done(out):
        left = end - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(65536)
        except socket.timeout:
            break
        out.append(parse_ssdp(data))
    return out


def pending(sock):
    """The datagrams already waiting on sock. On loopback a datagram is in the receiver's queue
    when sendto() returns, so these are all that was sent before now."""
    out = []
    sock.setblocking(False)
    try:
        while True:
            data, _ = sock.recvfrom(65536)
            out.append(parse_ssdp(data))
    except BlockingIOError:
        pass
    return out


def msearch(st, wait=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    s.bind(("127.0.0.1", 0))
    msg = ("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n"
           "MX: 1\r\nST: %s\r\n\r\n" % st).encode()
    s.sendto(msg, SSDP_ADDR)
    answers = [a for a in drain(s, wait) if a["start"].startswith("HTTP/1.1 200")]
    s.close()
    return answers


def notifies(messages, nts):
    return [m for m in messages
            if m["start"].startswith("NOTIFY") and m["headers"].get("NTS") == nts]


def canon_alive(messages):
    return any(m["headers"].get("NT") == CANON_ST for m in notifies(messages, "ssdp:alive"))


def post_state(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)


def main():
    sim_exe, max_age = sys.argv[1], sys.argv[2]
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "link", "set", "lo", "multicast", "on")
    sh("ip", "route", "add", "239.0.0.0/8", "dev", "lo")

    result = {}
    notify_sock = listener()
    sim = subprocess.Popen([sim_exe, "--port", "0", "--print-json", "--serial", "SSDP0001",
                            "--ssdp-interface", "lo", "--ssdp-max-age", max_age],
                           stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
    try:
        urls = json.loads(sim.stdout.readline())
        result["urls"] = urls
        # The first announcement (waited for, however slow the machine), and the rest of its
        # burst (gssdp spaces its messages out).
        start = drain_until(notify_sock, 20, lambda got: canon_alive(got))
        result["alive_at_start"] = notifies(start + drain(notify_sock, 1.0), "ssdp:alive")
        result["canon"] = msearch(CANON_ST)
        result["rootdevice"] = msearch("upnp:rootdevice")
        location = result["canon"][0]["headers"]["LOCATION"] if result["canon"] else None
        if location:
            with urllib.request.urlopen(location, timeout=5) as r:
                result["description"] = r.read().decode()
        # Periodic NOTIFY: gssdp repeats the announcement within max-age / 2 (waited for up to
        # twice max-age).
        result["alive_periodic"] = notifies(
            drain_until(notify_sock, 2 * int(max_age), lambda got: canon_alive(got)),
            "ssdp:alive")

        post_state(urls["sim"], {"fault": "ssdp-silent"})
        # What came before the simulator took the fault (and answered) is not the silent phase's.
        pending(notify_sock)
        result["silent_canon"] = msearch(CANON_ST)
        result["silent_alive"] = notifies(drain(notify_sock, int(max_age) / 2 + 1.5),
                                          "ssdp:alive")
        post_state(urls["sim"], {"fault": "none"})
        result["back_canon"] = msearch(CANON_ST)
        drain(notify_sock, 0.2)
    finally:
        sim.terminate()
        result["exit"] = sim.wait(timeout=20)
    result["byebye"] = notifies(drain(notify_sock, 1.0), "ssdp:byebye")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

# SPDX-License-Identifier: LGPL-2.1-or-later
"""The tests' clients of what a Testbed runs: a page of webd (a WebSocket client that answers
time-sync requests with its own clock), webd's REST API, the camera simulator's control URL and
Clock1's properties."""

import base64
import json
import os
import re
import socket
import struct
import time
import urllib.error
import urllib.parse
import urllib.request

SYNC1 = ("org.picamsync.Sync1", "/org/picamsync/Sync1", "org.picamsync.Sync1")
CLOCK = ("org.picamsync.Clock1", "/org/picamsync/Clock1", "org.picamsync.Clock1")
CAMERA_MANAGER = ("org.picamsync.Camera1", "/org/picamsync/Camera1",
                  "org.picamsync.Camera1.Manager")
CAMERA_IFACE = "org.picamsync.Camera1.Camera"
TWO_HOURS_MS = 2 * 3600 * 1000


def ws_frame(payload, opcode=1, fin=True):
    """One masked client frame (RFC 6455), masked quickly enough for megabytes; fin=False and
    opcode 0 (continuation) make the parts of a fragmented message."""
    mask = os.urandom(4)
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        header = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", b0, 0x80 | 127, n)
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")
    return header + mask + masked


class WsClient:
    """A tiny blocking WebSocket client (RFC 6455, client masking). sock: a connection made
    already (over TLS, say) to url's host. host: the Host header, if not url's."""

    def __init__(self, url, origin=None, timeout=10, sock=None, host=None):
        u = urllib.parse.urlsplit(url)
        self.sock = sock or socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        headers = [f"GET {u.path} HTTP/1.1", f"Host: {host or f'{u.hostname}:{u.port}'}",
                   "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                   "Sec-WebSocket-Version: 13"]
        if origin:
            headers.append(f"Origin: {origin}")
        self.sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        self.head = head.decode(errors="replace")
        self.close_code = None

    def _frame(self):
        """The next whole frame in buf as (opcode, payload), taken out of it; None while it has
        not all arrived (so that a timeout in the middle of a frame loses nothing)."""
        if len(self.buf) < 2:
            return None
        n, head = self.buf[1] & 0x7F, 2
        if n == 126:
            if len(self.buf) < 4:
                return None
            n, head = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            if len(self.buf) < 10:
                return None
            n, head = struct.unpack("!Q", self.buf[2:10])[0], 10
        if len(self.buf) < head + n:
            return None
        opcode, payload = self.buf[0] & 0x0F, self.buf[head:head + n]
        self.buf = self.buf[head + n:]
        return opcode, payload

    def send(self, payload, opcode=1):
        """One frame: text (opcode 1) or binary (2); str is sent as UTF-8."""
        self.sock.sendall(ws_frame(payload.encode() if isinstance(payload, str) else payload,
                                   opcode))

    def send_json(self, obj):
        self.send(json.dumps(obj))

    def recv(self, timeout=10, until_pong=None):
        """The next text message as a dict (answers pings, skips other control frames); raises
        TimeoutError when none came within timeout s, pings or not. until_pong: None is returned
        when a pong with this payload comes first."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._frame()
            if frame is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no message in time")
                self.sock.settimeout(left)
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed")
                self.buf += chunk
                continue
            opcode, payload = frame
            if opcode == 1:
                return json.loads(payload)
            if opcode == 8:
                # The close frame's status code (RFC 6455, 5.5.1), None without one.
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise ConnectionError(f"closed by the server ({self.close_code})")
            if opcode == 9:
                self.send(payload, opcode=10)
            if opcode == 10 and payload == until_pong:
                return None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def is_type(kind):
    return lambda m: m["type"] == kind


def is_event(kind):
    return lambda m: m["type"] == "event" and m["eventType"] == kind


class Client:
    """A page: answers time-sync-request with its own clock (host time + skew). bed: anything
    with a ws_url."""

    def __init__(self, bed, skew_ms=0.0, zone="UTC", origin=None):
        self.ws = WsClient(bed.ws_url, origin=origin)
        self.skew_ms = skew_ms
        self.zone = zone
        self.messages = []

    def now_ms(self):
        return time.time() * 1000 + self.skew_ms

    def answer(self, m):
        received = self.now_ms()
        self.ws.send_json({"type": "time-sync-response", "data": {
            "requestId": m["requestId"], "serverTime": m["serverTime"],
            "clientReceiveTime": received, "clientTime": self.now_ms(), "timezone": self.zone}})

    def wait_for(self, predicate, timeout=30, answer=True):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            self.messages.append(m)
            if answer and m["type"] == "time-sync-request":
                self.answer(m)
            if predicate(m):
                return m
        raise AssertionError(f"timed out; got {[x['type'] for x in self.messages]}")

    def wait_pi_sync(self, timeout=30, answer=True):
        """The next pi-sync event. After a fast first step (data.refining, docs/sync-policy.md,
        "Fast first step") it also waits for the pi-sync of the check that follows at once,
        answering it, so that the Pi is then as close as a whole check makes it. Returns the
        first event, which has the step, with the second under "refined"."""
        ev = self.wait_for(is_event("pi-sync"), timeout, answer)
        if ev["data"].get("refining"):
            ev["refined"] = self.wait_for(is_event("pi-sync"), timeout, True)
        return ev

    def settle_refine(self, timeout=30):
        """If the last pi-sync this page saw was a fast first step (data.refining), waits for the
        pi-sync of the check after it, answering that check; returns that event or None."""
        syncs = [m for m in self.messages if is_event("pi-sync")(m)]
        if syncs and syncs[-1]["data"].get("refining"):
            return self.wait_for(is_event("pi-sync"), timeout, True)
        return None

    def welcome(self):
        """The first message, which is welcome: its data."""
        m = self.wait_for(lambda m: True, answer=False)
        assert m["type"] == "welcome", m
        return m["data"]

    def messages_for(self, seconds):
        """Every message received within that time (answering time-sync requests), apart from
        self.messages."""
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                m = self.ws.recv(timeout=max(0.05, deadline - time.monotonic()))
            except (socket.timeout, TimeoutError):
                break
            got.append(m)
            if m["type"] == "time-sync-request":
                self.answer(m)
        return got

    def barrier(self, timeout=30, answer=False):
        """Returns once webd has handled every message this page sent before: a ping, and its
        pong. webd handles a text message while reading it, before it reads the next frame,
        and answers a ping when it reads it. (A time-sync-status that came is no such proof:
        webd also sends one to every page on each change.)"""
        token = os.urandom(8).hex().encode()
        self.ws.send(token, opcode=9)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.ws.recv(timeout=max(0.1, deadline - time.monotonic()), until_pong=token)
            if m is None:
                return
            self.messages.append(m)
            if answer and m["type"] == "time-sync-request":
                self.answer(m)
        raise AssertionError(f"no pong in time; got {[x['type'] for x in self.messages]}")

    def request_status(self, answer=False):
        """Asks for time-sync-status: the last one that came once webd has handled the request
        (see barrier); also proof that webd still answers."""
        self.ws.send_json({"type": "get-time-sync-status", "data": {}})
        seen = len(self.messages)
        self.barrier(answer=answer)
        got = [m for m in self.messages[seen:] if m["type"] == "time-sync-status"]
        if not got:
            got = [self.wait_for(is_type("time-sync-status"), answer=answer)]
        return got[-1]

    def manual_sync(self, offset_ms=0.0):
        """A sync by hand with this page's clock (+ offset_ms): the result message."""
        self.ws.send_json({"type": "manual-time-sync",
                           "data": {"clientTime": self.now_ms() + offset_ms,
                                    "timezone": self.zone}})
        return self.wait_for(is_type("manual-time-sync-result"))

    def close(self):
        self.ws.close()


def http(bed, method, path, body=None, headers=None):
    """webd's REST API over plain HTTP: (status, body, headers), errors included."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(bed.http_url + path, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def page_scripts(bed, page, get=None):
    """The text of every module the page loads (its <script src> and what they import)."""
    get = get or (lambda path: http(bed, "GET", path))
    todo = [m.decode() for m in re.findall(rb'<script[^>]*\bsrc="([^"]+)"', page)]
    seen, text = set(), b""
    while todo:
        path = "/" + todo.pop().lstrip("./").lstrip("/")
        if path in seen:
            continue
        seen.add(path)
        status, body, headers = get(path)
        assert status == 200, path
        assert headers["Content-Type"].startswith("text/javascript"), (path, headers)
        text += body
        base = path.rsplit("/", 1)[0]
        for m in re.findall(rb'(?:import|from)\s*"(\.{1,2}/[^"]+)"', body):
            rel = m.decode()
            while rel.startswith("../"):
                base, rel = base.rsplit("/", 1)[0], rel[3:]
            todo.append(base + "/" + rel.removeprefix("./"))
    assert seen, "the page loads no script"
    return text


def pi_minus_host_ms(bed):
    return bed.fakeclock.offset_ns() / 1e6


def clock_get(bed, prop):
    """A Clock1 property, on a connection of its own."""
    from busclient import BusClient  # GLib's: not needed by the pages (nor in the boot test)
    bus = BusClient(bed.bus.address)
    try:
        return bus.get(*CLOCK, prop)
    finally:
        bus.close()


def wait_camera_connected(bed, timeout=30):
    """camerad's first camera, once it is connected: its object path."""
    from busclient import BusClient
    bus = BusClient(bed.bus.address)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cams = bus.get(*CAMERA_MANAGER, "Cameras")
            if cams and bus.get(CAMERA_MANAGER[0], cams[0], CAMERA_IFACE, "Connected"):
                return cams[0]
            time.sleep(0.1)
    finally:
        bus.close()
    raise AssertionError("camerad did not connect the simulated camera")


def wait_webd_camera(bed, timeout=30):
    """Until webd shows the camera camerad has connected. webd is ready (READY=1) once it
    serves, before it has read camerad's cameras: until then it answers that no camera is
    connected."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body, _ = http(bed, "GET", "/api/timesync/status")
        if status == 200 and json.loads(body)["status"]["camera"].get("connected"):
            return
        time.sleep(0.05)
    raise AssertionError("webd did not show the connected camera")


def sim_state(sim):
    """The camera simulator's own view (its clock offset, PUTs seen, ...)."""
    with urllib.request.urlopen(sim["sim"], timeout=5) as r:
        return json.load(r)


def sim_set(sim, **values):
    """Changes the camera simulator (fault, offsetMs, driftPpm, ...)."""
    req = urllib.request.Request(sim["sim"], data=json.dumps(values).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)

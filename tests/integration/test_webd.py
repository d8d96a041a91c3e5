# SPDX-License-Identifier: LGPL-2.1-or-later
"""picamsync-webd against the testbed: socket activation, the page, REST, the WebSocket time
exchange with a client whose clock differs from the fake Pi clock, the policy's steps and
confirms through clockd, protocol errors, Sync1."""

import base64
import json
import os
import socket
import struct
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from busclient import BusClient

SYNC1 = ("org.picamsync.Sync1", "/org/picamsync/Sync1", "org.picamsync.Sync1")
CLOCK = ("org.picamsync.Clock1", "/org/picamsync/Clock1", "org.picamsync.Clock1")
TWO_HOURS_MS = 2 * 3600 * 1000


class WsClient:
    """A tiny blocking WebSocket client (RFC 6455, text frames, client masking)."""

    def __init__(self, url, origin=None, timeout=10):
        u = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        headers = [f"GET {u.path} HTTP/1.1", f"Host: {u.hostname}:{u.port}",
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

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, text, opcode=1):
        payload = text.encode() if isinstance(text, str) else text
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_json(self, obj):
        self.send(json.dumps(obj))

    def recv(self, timeout=10):
        """The next text message as a dict (answers pings, skips other control frames)."""
        self.sock.settimeout(timeout)
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            if opcode == 1:
                return json.loads(payload)
            if opcode == 8:
                raise ConnectionError("closed by the server")
            if opcode == 9:
                self.send(payload, opcode=10)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Client:
    """A page: answers time-sync-request with its own clock (host time + skew)."""

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

    def close(self):
        self.ws.close()


def http(bed, method, path, body=None, headers=None):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(bed.http_url + path, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def is_event(kind):
    return lambda m: m["type"] == "event" and m["eventType"] == kind


def pi_minus_host_ms(bed):
    return bed.fakeclock.offset_ns() / 1e6


@pytest.fixture
def webd_bed(make_testbed):
    def make(pi_offset_ms=0, env=None, zone="UTC"):
        bed = make_testbed(pi_offset_ms=pi_offset_ms, zone=zone)
        bed.start_webd(env)
        return bed
    return make


def test_page_and_rest_time(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    status, body, headers = http(bed, "GET", "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b"/ws" in body and b"time-sync-response" in body and b"timeOrigin" in body

    status, body, _ = http(bed, "GET", "/api/system/time")
    assert status == 200
    t = json.loads(body)
    assert set(t) >= {"timestamp", "epochMs", "timezone", "utcOffsetMinutes", "reliable"}
    assert t["timezone"] == "UTC" and t["reliable"] is False
    # The Pi's (fake) clock, not the host's: two hours behind.
    assert abs(t["epochMs"] - (time.time() * 1000 - TWO_HOURS_MS)) < 60000

    status, body, _ = http(bed, "GET", "/api/timesync/status")
    assert status == 200
    s = json.loads(body)
    assert s["status"]["pi"]["reliability"] == "none"
    assert s["status"]["clients"] == {"ap": 0, "lan": 0}
    assert isinstance(s["activityLog"], list)


def test_client_two_hours_ahead_steps_the_pi(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    bus = BusClient(bed.bus.address)
    bus.subscribe(sender=SYNC1[0], path=SYNC1[1])
    c = Client(bed, skew_ms=0)  # host time: two hours ahead of the Pi
    try:
        welcome = c.wait_for(lambda m: True, answer=False)
        assert welcome["type"] == "welcome"
        assert welcome["data"]["interface"] == "ap"
        assert welcome["data"]["autoSync"] is True
        ev = c.wait_for(is_event("pi-sync"))
        assert ev["data"]["stepped"] is True
        assert ev["data"]["source"] == "client-ap"
        assert abs(ev["data"]["offset"] - TWO_HOURS_MS) < 1000
        rounds = [m for m in c.messages if m["type"] == "time-sync-request"]
        assert 1 <= len(rounds) <= 8
        assert len({m["requestId"] for m in rounds}) == len(rounds)
        # The Pi clock now agrees with the client's (the host's) clock.
        assert abs(pi_minus_host_ms(bed)) < 5
        clock = BusClient(bed.bus.address)
        assert clock.get(*CLOCK, "Reliability") == "high"
        assert clock.get(*CLOCK, "StepCount") == 1
        assert clock.get(*CLOCK, "LastSyncSource") == "client-ap"
        clock.close()
        # Sync1 tells the same.
        assert bus.get(*SYNC1, "ClientsAp") == 1
        assert bus.get(*SYNC1, "ClientsLan") == 0
        assert bus.get(*SYNC1, "LastClientSyncUSec") > 0
        assert bus.wait_signal(lambda s: s[1] == "Activity", 10) is not None
        log = bus.call(*SYNC1, "GetActivityLog", "u", (10,))[0]
        assert log and any(entry[1] == "sync" for entry in log)
        logged = [m for m in c.messages if m["type"] == "activity_log" and m["data"]["entries"]]
        if not logged:
            c.wait_for(lambda m: m["type"] == "activity_log" and m["data"]["entries"])
    finally:
        c.close()
        bus.close()


def test_small_offset_confirms_without_step(webd_bed):
    bed = webd_bed(pi_offset_ms=-500)
    c = Client(bed)
    try:
        ev = c.wait_for(is_event("pi-sync"))
        assert ev["data"]["stepped"] is False
        assert 300 < ev["data"]["offset"] < 700
        clock = BusClient(bed.bus.address)
        assert clock.get(*CLOCK, "StepCount") == 0
        assert clock.get(*CLOCK, "LastSyncSource") == "client-ap"
        assert clock.get(*CLOCK, "Reliable") is True
        clock.close()
        assert abs(pi_minus_host_ms(bed) + 500) < 1
    finally:
        c.close()


def test_client_zone_sets_the_pi_zone(webd_bed):
    bed = webd_bed()
    c = Client(bed, zone="Europe/Berlin")
    try:
        c.wait_for(is_event("pi-sync"))
        clock = BusClient(bed.bus.address)
        deadline = time.monotonic() + 20
        while clock.get(*CLOCK, "Timezone") != "Europe/Berlin" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert clock.get(*CLOCK, "Timezone") == "Europe/Berlin"
        clock.close()
    finally:
        c.close()


def test_bad_messages_get_error_codes(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"PICAMSYNC_AUTO_SYNC": "0"})
    before = pi_minus_host_ms(bed)
    c = Client(bed)
    try:
        welcome = c.wait_for(lambda m: m["type"] == "welcome", answer=False)
        assert welcome["data"]["autoSync"] is False

        def error_after(payload):
            c.ws.send(payload)
            return c.wait_for(lambda m: m["type"] == "error", answer=False)["data"]["code"]

        assert error_after("{not json") == "bad-json"
        assert error_after(json.dumps({"type": "no-such-type", "data": {}})) == "unknown-type"
        assert error_after(json.dumps({"type": "time-sync-response",
                                       "data": {"requestId": "x", "clientTime": "soon"}})) \
            == "invalid-field"
        assert error_after(json.dumps({"type": "get-time-sync-status",
                                       "data": {"pad": "x" * 100000}})) == "too-large"
        # A response nobody asked for is ignored, quietly.
        c.ws.send_json({"type": "time-sync-response", "data": {
            "requestId": "1-1-1", "serverTime": 0, "clientTime": time.time() * 1000}})
        c.ws.send_json({"type": "get-time-sync-status", "data": {}})
        status = c.wait_for(lambda m: m["type"] == "time-sync-status", answer=False)
        assert status["data"]["pi"]["reliability"] == "none"
        assert not any(m["type"] == "time-sync-request" for m in c.messages)
        assert abs(pi_minus_host_ms(bed) - before) < 1
        clock = BusClient(bed.bus.address)
        assert clock.get(*CLOCK, "StepCount") == 0
        clock.close()
    finally:
        c.close()


def test_response_of_other_connection_is_ignored(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"TIME_SYNC_RETRY_DELAY": "2000"})
    a = Client(bed)
    b = Client(bed)
    try:
        req = a.wait_for(lambda m: m["type"] == "time-sync-request", answer=False)
        # b answers a's request with a wildly wrong clock: ignored.
        b.ws.send_json({"type": "time-sync-response", "data": {
            "requestId": req["requestId"], "serverTime": req["serverTime"],
            "clientTime": time.time() * 1000 + 3600e3}})
        a.answer(req)
        ev = a.wait_for(is_event("pi-sync"))
        assert abs(ev["data"]["offset"] - TWO_HOURS_MS) < 1000
        assert abs(pi_minus_host_ms(bed)) < 5
    finally:
        a.close()
        b.close()


def test_unanswered_check_fails_without_change(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"TIME_SYNC_RETRY_DELAY": "300"})
    before = pi_minus_host_ms(bed)
    c = Client(bed)
    try:
        c.wait_for(is_event("sync-failed"), answer=False)
        assert abs(pi_minus_host_ms(bed) - before) < 1
    finally:
        c.close()


def test_cross_origin_refused_and_post_errors(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    host = bed.http_url.split("//")[1]
    body = {"timestamp": time.time() * 1000}
    status, data, _ = http(bed, "POST", "/api/system/time", body,
                           {"Content-Type": "application/json", "Origin": "http://evil.example"})
    assert status == 403
    assert json.loads(data)["error"]["code"] == "cross-origin"
    ws = WsClient(bed.ws_url, origin="http://evil.example")
    assert ws.status == 403
    ws.close()
    status, _, _ = http(bed, "POST", "/api/system/time", b"hello",
                        {"Content-Type": "text/plain"})
    assert status == 415
    status, _, _ = http(bed, "POST", "/api/system/time", b"x" * (65 * 1024),
                        {"Content-Type": "application/json"})
    assert status == 413
    status, data, _ = http(bed, "POST", "/api/system/time", {"timezone": "UTC"},
                           {"Content-Type": "application/json"})
    assert status == 400 and json.loads(data)["error"]["code"] == "missing-timestamp"
    assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
    # Same origin: a manual sync.
    status, data, _ = http(bed, "POST", "/api/system/time",
                           {"timestamp": time.time() * 1000, "timezone": "UTC"},
                           {"Content-Type": "application/json", "Origin": f"http://{host}"})
    assert status == 200, data
    r = json.loads(data)
    assert r["success"] is True and abs(r["offsetMs"] - TWO_HOURS_MS) < 5000
    assert abs(pi_minus_host_ms(bed)) < 5000


def sim_state(sim):
    with urllib.request.urlopen(sim["sim"], timeout=5) as r:
        return json.load(r)


def test_camera_set_after_pi_sync(make_testbed):
    bed = make_testbed(start=False, pi_offset_ms=-TWO_HOURS_MS)
    bed.start(camera=True, camera_offset_ms=4000)  # clockd, the simulator, camerad and webd
    bus = BusClient(bed.bus.address)
    # camerad finds the configured camera by itself; wait until it is connected.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        cams = bus.get("org.picamsync.Camera1", "/org/picamsync/Camera1",
                       "org.picamsync.Camera1.Manager", "Cameras")
        if cams and bus.get("org.picamsync.Camera1", cams[0], "org.picamsync.Camera1.Camera",
                            "Connected"):
            break
        time.sleep(0.2)
    else:
        pytest.fail("camerad did not connect the simulated camera")
    sim = bed.sims[0]
    c = Client(bed)
    try:
        c.wait_for(is_event("pi-sync"))
        ev = c.wait_for(is_event("camera-sync"), timeout=60)
        assert ev["data"]["success"] is True, ev
        state = sim_state(sim)
        assert state["puts"] >= 1
        # The camera now shows the Pi's (= the client's) time, to its whole seconds.
        assert abs(state["offsetMs"]) < 1500
        assert bus.get(*SYNC1, "LastCameraSyncUSec") > 0
    finally:
        c.close()
        bus.close()


def test_sync_now_over_the_bus(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"PICAMSYNC_AUTO_SYNC": "0"})
    bus = BusClient(bed.bus.address)
    c = Client(bed)
    try:
        c.wait_for(lambda m: m["type"] == "welcome", answer=False)
        assert bus.get(*SYNC1, "AutoSync") is False
        bus.call(*SYNC1, "SyncNow")
        c.wait_for(is_event("pi-sync"))
        assert abs(pi_minus_host_ms(bed)) < 5
    finally:
        c.close()
        bus.close()


@pytest.mark.parametrize("name,value", [("TIME_SYNC_THRESHOLD", "soon"),
                                        ("TIME_SYNC_RETRY_DELAY", "-5"),
                                        ("PICAMSYNC_AUTO_SYNC", "maybe"),
                                        ("PICAMSYNC_AP_INTERFACES", "bad/name")])
def test_bad_configuration_stops_webd_naming_the_variable(builddir, name, value):
    import subprocess
    exe = os.path.join(builddir, "webd", "picamsync-webd")
    env = {"PATH": "/usr/bin:/bin", "PICAMSYNC_LOG_TARGET": "stderr",
           "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent", name: value,
           "ASAN_OPTIONS": "detect_leaks=1"}
    r = subprocess.run([exe, "--listen", "127.0.0.1:0"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    assert name in r.stderr


def test_lan_client_is_not_checked_but_can_sync_by_hand(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"PICAMSYNC_AP_INTERFACES": "none"})
    bus = BusClient(bed.bus.address)
    c = Client(bed)
    try:
        welcome = c.wait_for(lambda m: m["type"] == "welcome", answer=False)
        assert welcome["data"]["interface"] == "lan"
        assert bus.get(*SYNC1, "ClientsLan") == 1 and bus.get(*SYNC1, "ClientsAp") == 0
        c.ws.send_json({"type": "get-time-sync-status", "data": {}})
        c.wait_for(lambda m: m["type"] == "time-sync-status", answer=False)
        assert not any(m["type"] == "time-sync-request" for m in c.messages)
        assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
        # Rule 7: a manual sync from the page, with a burst.
        c.ws.send_json({"type": "manual-time-sync",
                        "data": {"clientTime": c.now_ms(), "timezone": "UTC"}})
        result = c.wait_for(lambda m: m["type"] == "manual-time-sync-result")
        assert result["data"]["success"] is True and result["data"]["stepped"] is True
        assert abs(pi_minus_host_ms(bed)) < 5
        clock = BusClient(bed.bus.address)
        assert clock.get(*CLOCK, "LastSyncSource") == "manual"
        clock.close()
    finally:
        c.close()
        bus.close()

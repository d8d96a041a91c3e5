# SPDX-License-Identifier: LGPL-2.1-or-later
"""webd's REST API and the WebSocket protocol's edge cases against the testbed: every endpoint
and every error of docs/web-protocol.md's REST section, the camera by hand through camerad and
the camera simulator, and bad input over the WebSocket. Whatever goes wrong, the fake Pi clock
stays where it was. (test_webd.py covers the basics; this file does not repeat them.) "Rule N"
is rule N of docs/sync-policy.md."""

import json
import os
import threading
import time

import pytest

from busclient import BusClient
from picamsync_testbed import wait_until
from testbed_clients import (TWO_HOURS_MS, Client, WsClient, clock_get, http, is_event, is_type,
                             pi_minus_host_ms, sim_set, sim_state, ws_frame)

JSON = {"Content-Type": "application/json"}
CAMERA = ("org.picamsync.Camera1", "/org/picamsync/Camera1")
CAMERA_IFACE = "org.picamsync.Camera1.Camera"


def post(bed, path, body, headers=None):
    return http(bed, "POST", path, body, dict(JSON, **(headers or {})))


def error_code(data):
    e = json.loads(data)["error"]
    assert e["message"], e  # always words for the user
    return e["code"]


def status(bed):
    code, data, _ = http(bed, "GET", "/api/timesync/status")
    assert code == 200
    return json.loads(data)


# ---- /api/system/time ----

@pytest.mark.parametrize("body,code", [
    ({"timestamp": None}, "missing-timestamp"),
    ({"timestamp": "yesterday"}, "invalid-timestamp"),
    ({"timestamp": "2026-13-01T00:00:00.000Z"}, "invalid-timestamp"),
    ({"timestamp": True}, "invalid-timestamp"),
    ({"timestamp": [1]}, "invalid-timestamp"),
    ({"timestamp": 1e300}, "invalid-timestamp"),
    ({"timestamp": "2026-11-21T14:00:00.000Z", "timezone": "Mars/Olympus_Mons"},
     "invalid-timezone"),
    ({"timestamp": "2026-11-21T14:00:00.000Z", "timezone": "../../etc/passwd"},
     "invalid-timezone"),
    ({"timestamp": "2026-11-21T14:00:00.000Z", "timezone": 60}, "invalid-timezone"),
])
def test_post_system_time_bad_input_changes_nothing(webd_bed, body, code):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    status_code, data, _ = post(bed, "/api/system/time", body)
    assert status_code == 400, data
    assert error_code(data) == code
    assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
    assert clock_get(bed, "StepCount") == 0


def test_post_system_time_body_errors(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    # Declared JSON but is not: 415. A JSON value that is not an object: 415 too.
    for body in (b"{\"timestamp\": ", b"[1, 2]", b"\xff\xfe"):
        code, data, _ = post(bed, "/api/system/time", body)
        assert code == 415, (body, data)
    # Valid JSON over 64 KiB: refused for its size before it is read.
    big = json.dumps({"timestamp": time.time() * 1000, "pad": "x" * (64 * 1024)}).encode()
    code, data, _ = post(bed, "/api/system/time", big)
    assert code == 413 and error_code(data) == "too-large"
    code, data, _ = http(bed, "PUT", "/api/system/time", {"timestamp": 0}, JSON)
    assert code == 405
    assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
    assert clock_get(bed, "StepCount") == 0


def test_post_system_time_iso_with_zone(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    now = time.time()
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    code, data, _ = post(bed, "/api/system/time", {"timestamp": iso, "timezone": "Asia/Tokyo"})
    assert code == 200, data
    r = json.loads(data)
    assert r["success"] is True and r["timezone"] == "Asia/Tokyo"
    assert abs(r["offsetMs"] - TWO_HOURS_MS) < 5000
    assert r["previousTime"] < r["newTime"]
    assert abs(pi_minus_host_ms(bed)) < 5000
    code, data, _ = http(bed, "GET", "/api/system/time")
    t = json.loads(data)
    assert t["timezone"] == "Asia/Tokyo" and t["utcOffsetMinutes"] == 540
    assert t["reliable"] is True


def test_post_system_time_refused_by_clockd(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    # clockd refuses times before 2024: a 500 with its reason, and the clock stays.
    code, data, _ = post(bed, "/api/system/time", {"timestamp": "2020-01-01T00:00:00.000Z"})
    assert code == 500, data
    assert error_code(data) == "clock-refused"
    assert "2024" in json.loads(data)["error"]["message"]
    assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
    assert clock_get(bed, "StepCount") == 0


def test_clock_unavailable_when_clockd_is_stopped(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    bed.daemons["clockd"].stop()

    def unavailable():
        code, data, _ = http(bed, "GET", "/api/system/time")
        return code == 503 and error_code(data) == "clock-unavailable"

    wait_until(unavailable, 15, "webd to notice that clockd left")
    code, data, _ = post(bed, "/api/system/time", {"timestamp": time.time() * 1000})
    assert code == 503 and error_code(data) == "clock-unavailable"
    assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
    assert status(bed)["status"]["pi"]["reliable"] is False


# ---- /api/timesync/status and /api/timesync/log ----

@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "", "99999999999999999999"])
def test_log_invalid_limit(webd_bed, limit):
    bed = webd_bed()
    code, data, _ = http(bed, "GET", f"/api/timesync/log?limit={limit}")
    assert code == 400 and error_code(data) == "invalid-limit"


def test_log_limit_and_status(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    for _ in range(2):
        code, data, _ = post(bed, "/api/system/time", {"timestamp": time.time() * 1000})
        assert code == 200, data
    code, data, _ = http(bed, "GET", "/api/timesync/log")
    entries = json.loads(data)["entries"]
    assert len(entries) >= 2
    for e in entries:
        assert set(e) >= {"timestamp", "type", "level", "message", "success", "details"}
    code, data, _ = http(bed, "GET", "/api/timesync/log?limit=1")
    assert code == 200
    assert json.loads(data)["entries"] == entries[-1:]  # the newest
    s = status(bed)
    assert s["activityLog"] == entries
    assert s["status"]["pi"]["source"] == "manual" and s["status"]["pi"]["reliable"] is True
    assert s["status"]["camera"] == {"connected": False}
    for path in ("/api/timesync/status", "/api/timesync/log", "/api/camera/drift"):
        code, data, _ = post(bed, path, {})
        assert code == 405, path
    code, data, _ = http(bed, "GET", "/api/no/such/thing")
    assert code == 404 and error_code(data) == "not-found"


# ---- the camera by hand ----

def test_camera_endpoints_without_a_camera(webd_bed):
    bed = webd_bed()
    # No camerad at all, then camerad that knows no camera: both are "no camera".
    for phase in ("no camerad", "no camera"):
        code, data, _ = post(bed, "/api/timesync/camera", {"force": True})
        assert code == 404 and error_code(data) == "no-camera", (phase, data)
        code, data, _ = http(bed, "GET", "/api/camera/drift")
        assert code == 404 and error_code(data) == "no-camera", (phase, data)
        if phase == "no camerad":
            bed.start_camerad()
    assert pi_minus_host_ms(bed) == pytest.approx(0, abs=1)


def camera_bed(make_testbed, camera_offset_ms, pi_offset_ms=0, env=None):
    """clockd, a simulated camera, camerad and webd, with webd showing the camera connected.
    PICAMSYNC_AP_INTERFACES=none: a test's own WebSocket is a LAN client and is not checked."""
    bed = make_testbed(pi_offset_ms=pi_offset_ms)
    sim = bed.start_sim(offset_ms=camera_offset_ms)
    bed.start_camerad({"PICAMSYNC_CAMERA_URLS": sim["camera"]})
    bed.start_webd(dict({"PICAMSYNC_AP_INTERFACES": "none"}, **(env or {})))
    wait_until(lambda: status(bed)["status"]["camera"]["connected"], 30,
             "webd to show the camera connected")
    # webd measures a camera that turns up (rule 5); let that finish first.
    wait_until(lambda: status(bed)["status"]["camera"]["offsetMs"] is not None, 30,
             "webd's first measurement of the camera")
    return bed, sim


def truth_ms(bed, sim):
    """camera − Pi as the simulator and the fake clock know it."""
    return sim_state(sim)["offsetMs"] - bed.fakeclock.offset_ns() / 1e6


def test_camera_sync_by_hand(make_testbed):
    # 600 ms: under the threshold, so webd's own check on connect changes nothing.
    bed, sim = camera_bed(make_testbed, camera_offset_ms=600)
    pi_before = pi_minus_host_ms(bed)
    assert sim_state(sim)["puts"] == 0

    # The Pi was never synced: not reliable, so not without force.
    code, data, _ = post(bed, "/api/timesync/camera", {})
    assert code == 409 and error_code(data) == "pi-unreliable"
    code, data, _ = post(bed, "/api/timesync/camera", b"")
    assert code == 409 and error_code(data) == "pi-unreliable"
    # Bad requests are refused before anything happens.
    code, data, _ = post(bed, "/api/timesync/camera", {"force": True},
                         {"Origin": "http://evil.example"})
    assert code == 403 and error_code(data) == "cross-origin"
    code, data, _ = post(bed, "/api/timesync/camera", {"force": "yes"})
    assert code == 400 and error_code(data) == "invalid-force"
    code, data, _ = post(bed, "/api/timesync/camera", b"force=1",
                         {"Content-Type": "application/x-www-form-urlencoded"})
    assert code == 415
    code, data, _ = post(bed, "/api/timesync/camera", b"{" + b" " * (65 * 1024) + b"}")
    assert code == 413
    code, data, _ = http(bed, "GET", "/api/timesync/camera")
    assert code == 405
    assert sim_state(sim)["puts"] == 0

    # A page watches what happens.
    c = Client(bed)
    try:
        c.wait_for(is_type("welcome"), answer=False)
        code, data, _ = post(bed, "/api/timesync/camera", {"force": True})
        assert code == 200, data
        r = json.loads(data)
        assert set(r) >= {"success", "previousTime", "newTime", "offsetMs", "residualMs"}
        assert r["success"] is True
        assert abs(r["offsetMs"] - 600) < 50
        assert abs(r["residualMs"]) < 50
        assert r["previousTime"] > r["newTime"]  # the camera was ahead
        assert sim_state(sim)["puts"] == 1
        assert abs(truth_ms(bed, sim)) < 50
        # The Pi clock is not touched by a camera set.
        assert abs(pi_minus_host_ms(bed) - pi_before) < 1

        # The status shows the offset measured after the set at once: the status a page got
        # before the camera-sync event already has it, and so does REST right after.
        ev = c.wait_for(is_event("camera-sync"), answer=False)
        assert ev["data"]["success"] is True
        assert ev["data"]["residual"] == pytest.approx(r["residualMs"], abs=0.001)
        before_event = [m for m in c.messages[:-1] if m["type"] == "time-sync-status"]
        assert before_event, [m["type"] for m in c.messages]
        assert before_event[-1]["data"]["camera"]["offsetMs"] == \
            pytest.approx(r["residualMs"], abs=0.001)
        cam = status(bed)["status"]["camera"]
        assert cam["offsetMs"] == pytest.approx(r["residualMs"], abs=0.001)
        assert cam["lastSyncTime"] is not None

        # Logged like the automatic set, and sent to the page.
        entries = json.loads(http(bed, "GET", "/api/timesync/log")[1])["entries"]
        mine = [e for e in entries if e["type"] == "camera" and "by hand" in e["message"]]
        assert len(mine) == 1 and mine[0]["level"] == "success" and mine[0]["success"] is True
        assert mine[0]["details"]["offsetMs"] == pytest.approx(r["offsetMs"], abs=0.001)
        c.wait_for(lambda m: m["type"] == "activity_log"
                   and any("by hand" in e["message"] for e in m["data"]["entries"]),
                   answer=False)

        # The drift history: every measurement camerad made, the set's two included.
        code, data, _ = http(bed, "GET", "/api/camera/drift")
        assert code == 200, data
        d = json.loads(data)
        bus = BusClient(bed.bus.address)
        path = bus.get(*CAMERA, "org.picamsync.Camera1.Manager", "Cameras")[0]
        history = bus.call(CAMERA[0], path, CAMERA_IFACE, "GetDriftHistory")[0]
        bus.close()
        assert len(d["samples"]) == len(history) >= 3
        for sample, (_at, offset, unc) in zip(d["samples"], history):
            assert set(sample) == {"time", "offsetMs", "uncertaintyMs"}
            assert sample["time"].endswith("Z")
            assert sample["offsetMs"] == pytest.approx(offset / 1000, abs=0.001)
            assert sample["uncertaintyMs"] == pytest.approx(unc / 1000, abs=0.001)
        assert d["samples"][-1]["offsetMs"] == pytest.approx(r["residualMs"], abs=0.001)
        assert d["driftPpm"] is None  # NaN until camerad has minutes of samples
    finally:
        c.close()


def test_camera_sync_by_hand_with_a_reliable_pi(make_testbed):
    bed, sim = camera_bed(make_testbed, camera_offset_ms=-700)
    # A manual sync makes the Pi reliable (rule 7); the camera is then checked by the policy
    # (700 ms: left alone) and set by hand without force.
    code, data, _ = post(bed, "/api/system/time", {"timestamp": time.time() * 1000})
    assert code == 200, data
    wait_until(lambda: status(bed)["status"]["pi"]["reliable"], 10, "the Pi to be reliable")
    truth = truth_ms(bed, sim)
    code, data, _ = post(bed, "/api/timesync/camera", {"force": False})
    assert code == 200, data
    r = json.loads(data)
    assert abs(r["offsetMs"] - truth) < 50 and abs(r["residualMs"]) < 50
    assert abs(truth_ms(bed, sim)) < 50


@pytest.mark.parametrize("fault,words", [("busy", "busy"), ("bad-request", "refused")])
def test_camera_fault_is_a_502_with_the_cameras_words(make_testbed, fault, words):
    bed, sim = camera_bed(make_testbed, camera_offset_ms=600)
    c = Client(bed)
    try:
        c.wait_for(is_type("welcome"), answer=False)
        sim_set(sim, fault=fault)
        code, data, _ = post(bed, "/api/timesync/camera", {"force": True})
        assert code == 502, data
        assert error_code(data) == "camera-error"
        message = json.loads(data)["error"]["message"]
        assert words in message and "EOS R50" in message
        assert sim_state(sim)["puts"] == 0
        # Rule 10: logged with the reason, shown on the pages as a warning, and the failure
        # event; the camera line says it failed.
        warning = c.wait_for(is_type("warning"), answer=False)
        assert words in warning["data"]["message"]
        failed = c.wait_for(is_event("sync-failed"), answer=False)
        assert failed["data"]["target"] == "camera" and words in failed["data"]["reason"]
        ev = [m for m in c.messages if m["type"] == "event" and m["eventType"] == "camera-sync"]
        assert ev and ev[-1]["data"]["success"] is False
        entries = json.loads(http(bed, "GET", "/api/timesync/log")[1])["entries"]
        mine = [e for e in entries if "by hand" in e["message"]]
        assert len(mine) == 1, entries
        assert mine[0]["type"] == "error" and mine[0]["level"] == "error"
        assert mine[0]["success"] is False and words in mine[0]["details"]["error"]
        assert mine[0]["message"] == warning["data"]["message"]
        # The camera answers again: so does the endpoint.
        sim_set(sim, fault="none")
        code, data, _ = post(bed, "/api/timesync/camera", {"force": True})
        assert code == 200, data
        assert sim_state(sim)["puts"] == 1
    finally:
        c.close()


# ---- WebSocket: bad input ----

def test_ws_frame_masks_correctly():
    # The test client's fast masking (testbed_clients.ws_frame), against the plain XOR.
    for n in (0, 1, 5, 125, 126, 65535, 65536, 70001):
        payload = os.urandom(n)
        data = ws_frame(payload)
        header_len = 2 + (2 if 126 <= n < 65536 else 8 if n >= 65536 else 0)
        mask = data[header_len:header_len + 4]
        body = data[header_len + 4:]
        assert bytes(b ^ mask[i % 4] for i, b in enumerate(body)) == payload


def error_after(c, payload, opcode=1):
    c.ws.send(payload, opcode)
    return c.wait_for(is_type("error"), answer=False, timeout=60)["data"]


BAD_INPUT = [
    # bad-json: not JSON, not an object, binary, nested too deep
    ("", "bad-json"),
    ("[1, 2]", "bad-json"),
    ("\"time-sync-response\"", "bad-json"),
    ("{\"type\": \"get-time-sync-status\", \"data\": {}", "bad-json"),
    ("[" * 100 + "]" * 100, "bad-json"),
    (b"\x00\x01binary", "bad-json"),
    # unknown-type
    (json.dumps({"type": "time-sync-request", "requestId": "x", "serverTime": 1}),
     "unknown-type"),
    (json.dumps({"type": "TIME-SYNC-RESPONSE", "data": {}}), "unknown-type"),
    # invalid-field: missing or wrong fields
    (json.dumps({"data": {}}), "invalid-field"),
    (json.dumps({"type": 7}), "invalid-field"),
    (json.dumps({"type": "time-sync-response"}), "invalid-field"),
    (json.dumps({"type": "time-sync-response", "data": "1-1-1"}), "invalid-field"),
    (json.dumps({"type": "time-sync-response", "data": {"clientTime": 1.7e12}}),
     "invalid-field"),
    (json.dumps({"type": "time-sync-response", "data": {"requestId": "bogus-1"}}),
     "invalid-field"),
    (json.dumps({"type": "time-sync-response",
                 "data": {"requestId": "", "clientTime": 1.7e12}}), "invalid-field"),
    (json.dumps({"type": "time-sync-response",
                 "data": {"requestId": "bogus-1", "clientTime": 1.7e12, "timezone": "Nowhere"}}),
     "invalid-field"),
    (json.dumps({"type": "time-sync-response",
                 "data": {"requestId": "bogus-1", "clientTime": 1.7e12, "timezone": "../x"}}),
     "invalid-field"),
    (json.dumps({"type": "manual-time-sync",
                 "data": {"clientTime": 1.7e12, "timezone": "Europe/Atlantis"}}),
     "invalid-field"),
    (json.dumps({"type": "manual-time-sync", "data": {}}), "invalid-field"),
    (json.dumps({"type": "manual-time-sync", "data": {"timestamp": "noon"}}), "invalid-field"),
    (json.dumps({"type": "manual-time-sync", "data": {"clientTime": None}}), "invalid-field"),
    (json.dumps({"type": "location-response", "data": {"requestId": "loc-1"}}),
     "invalid-field"),
    (json.dumps({"type": "location-response",
                 "data": {"requestId": "loc-1", "latitude": 91, "longitude": 0}}),
     "invalid-field"),
]


def test_ws_bad_input_gets_its_error_and_changes_nothing(webd_bed):
    # An AP client (auto sync on) on a Pi two hours behind: only a correct exchange may move
    # the clock, and the check's request is never answered here.
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"TIME_SYNC_RETRY_DELAY": "60000"})
    c = Client(bed)
    try:
        c.wait_for(is_type("welcome"), answer=False)
        for payload, code in BAD_INPUT:
            opcode = 2 if isinstance(payload, bytes) else 1
            err = error_after(c, payload, opcode)
            assert err["code"] == code, (payload[:80], err)
            assert err["message"], payload[:80]
            c.request_status()
            assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1, payload[:80]
        assert not any(m["type"] in ("manual-time-sync-result", "event") for m in c.messages)
        assert [m["type"] for m in c.messages].count("error") == len(BAD_INPUT)
        assert clock_get(bed, "StepCount") == 0
    finally:
        c.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def send_ignoring_errors(ws, payload):
    """For a thread: webd stops reading a message that is too large and closes the
    connection, which ends the send with an error."""
    try:
        ws.send(payload)
    except OSError:
        pass


def closed_without_message(ws, timeout=30):
    """True once the server has dropped the connection, having sent nothing but what came
    before (welcome, the log, status updates)."""
    ws.sock.settimeout(timeout)
    try:
        while True:
            m = ws.recv(timeout)
            assert m["type"] in ("welcome", "activity_log", "time-sync-status"), m
    except TimeoutError:
        return False
    except (ConnectionError, OSError):
        return True


def test_ws_huge_messages(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"PICAMSYNC_AUTO_SYNC": "0"})
    pid = bed.daemons["webd"].proc.pid
    c = Client(bed)
    try:
        c.wait_for(is_type("welcome"), answer=False)
        # Just over 64 KiB, text and binary: too-large without parsing, and the page stays.
        assert error_after(c, "{" + " " * (65 * 1024) + "}")["code"] == "too-large"
        assert error_after(c, b"\x00" * (65 * 1024), opcode=2)["code"] == "too-large"
        c.request_status()
    finally:
        c.close()

    # 10 MB of valid JSON: webd stops reading it past 68 KiB, answers too-large and closes the
    # connection with 1009 (message too big), without holding the message.
    c = Client(bed)
    try:
        c.wait_for(is_type("welcome"), answer=False)
        before = rss_kib(pid)
        big = json.dumps({"type": "manual-time-sync",
                          "data": {"clientTime": time.time() * 1000, "pad": "x" * 10_000_000}})
        sender = threading.Thread(target=send_ignoring_errors, args=(c.ws, big), daemon=True)
        sender.start()
        err = c.wait_for(is_type("error"), answer=False, timeout=60)["data"]
        assert err["code"] == "too-large", err
        with pytest.raises(ConnectionError):
            c.wait_for(lambda m: False, answer=False, timeout=60)
        assert c.ws.close_code == 1009
        sender.join(60)
        assert rss_kib(pid) - before < 8 * 1024
        assert not any(m["type"] == "manual-time-sync-result" for m in c.messages)
    finally:
        c.close()
    assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1

    # A frame that announces over 16 MiB: libsoup drops the connection as its header arrives
    # (its error is 1009, message too big; it sends no close frame).
    ws = WsClient(bed.ws_url)
    try:
        ws.recv()  # welcome
        try:
            ws.send(b"x" * (17 * 1024 * 1024))
        except OSError:
            pass  # reset while sending: dropped already
        assert closed_without_message(ws)
    finally:
        ws.close()
    wait_until(lambda: "max-incoming-payload-size" in bed.daemons["webd"].log(), 10,
             "webd to log why the connection was closed")
    # webd itself is fine.
    d = Client(bed)
    try:
        d.wait_for(is_type("welcome"), answer=False)
        d.request_status()
    finally:
        d.close()
    assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
    assert clock_get(bed, "StepCount") == 0


def test_ws_responses_not_asked_for_are_ignored(webd_bed):
    # Two AP clients; webd asks the first. A response with a wrong requestId from it, and one
    # with the right requestId from the other connection, both claiming a clock an hour off:
    # both ignored, so the check times out and the Pi clock does not move.
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"TIME_SYNC_RETRY_DELAY": "1500"})
    a = Client(bed)
    b = Client(bed)
    try:
        req = a.wait_for(is_type("time-sync-request"), answer=False)
        wrong = {"type": "time-sync-response", "data": {
            "requestId": req["requestId"] + "x", "serverTime": req["serverTime"],
            "clientTime": time.time() * 1000 + 3600e3}}
        a.ws.send_json(wrong)
        other = {"type": "time-sync-response", "data": {
            "requestId": req["requestId"], "serverTime": req["serverTime"],
            "clientTime": time.time() * 1000 + 3600e3}}
        b.ws.send_json(other)
        a.wait_for(lambda m: m["type"] == "activity_log" and any(
            "did not answer" in e["message"] for e in m["data"]["entries"]), answer=False)
        # One round only: an accepted response would have brought the next request.
        assert [m["type"] for m in a.messages].count("time-sync-request") == 1
        assert not any(m["type"] == "error" for m in a.messages + b.messages)
        assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
        assert clock_get(bed, "StepCount") == 0
    finally:
        a.close()
        b.close()


def test_ws_policy_warning_reaches_every_page_and_the_log(make_testbed):
    # A warning the policy only logs (rule 9: the Pi is no longer reliable) is also shown on
    # every page as a `warning` message (docs/web-protocol.md, "warning"), once.
    bed = make_testbed(pi_offset_ms=-TWO_HOURS_MS, env={"TIME_SYNC_RELIABLE_WINDOW": "2000"})
    bed.start_webd({"PICAMSYNC_AP_INTERFACES": "none"})
    a = Client(bed)
    b = Client(bed)
    try:
        for c in (a, b):
            c.wait_for(is_type("welcome"), answer=False)
        assert a.manual_sync()["data"]["stepped"]
        for c in (a, b):
            w = c.wait_for(is_type("warning"), answer=False, timeout=20)
            assert "no longer reliable" in w["data"]["message"]
        entries = json.loads(http(bed, "GET", "/api/timesync/log")[1])["entries"]
        assert entries[-1]["level"] == "warning"
        assert entries[-1]["message"] == w["data"]["message"]
        # Exactly once per page.
        a.request_status()
        assert [m["type"] for m in a.messages].count("warning") == 1
    finally:
        a.close()
        b.close()

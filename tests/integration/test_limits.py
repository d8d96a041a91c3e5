# SPDX-License-Identifier: LGPL-2.1-or-later
"""The sizes of outside input that docs/limits.md lists, each at its limit and one past it, where
no other file already does both: a REST body, a WebSocket message (parsed, and read at all), the
nesting of JSON, a requestId, a location error, the shots of a timelapse and a title, and a page
of frames. At the
limit the input is used; past it the answer says so in words and nothing changes."""

import json
import os
import pwd
import time

from busclient import BusClient
from picamsync_testbed import wait_until
from testbed_clients import (TWO_HOURS_MS, Client, clock_get, http, is_type, pi_minus_host_ms,
                             wait_camera_connected)

JSON = {"Content-Type": "application/json"}
MANAGER = ("org.picamsync.Camera1", "/org/picamsync/Camera1", "org.picamsync.Camera1.Manager")
CAMERA_IFACE = "org.picamsync.Camera1.Camera"
KIB64 = 64 * 1024


def padded(obj, size):
    """obj as JSON of exactly size bytes: spaces before its closing brace."""
    text = json.dumps(obj).encode()
    assert text.endswith(b"}") and len(text) <= size
    return text[:-1] + b" " * (size - len(text)) + b"}"


def nested(depth, inner):
    """inner with "x": [[…1…]] added: depth levels deep in all (the object is the first)."""
    return inner[:-1] + b',"x":' + b"[" * (depth - 1) + b"1" + b"]" * (depth - 1) + b"}"


def error_of(data):
    e = json.loads(data)["error"]
    assert e["message"], e
    return e["code"]


def post(bed, path, body):
    return http(bed, "POST", path, body, JSON)


def test_rest_body_of_64_kib_is_read_and_one_byte_more_is_413(webd_bed):
    """A manual sync whose body is 65,537 bytes gets 413 too-large and the Pi stays 2 h off; the
    same sync in exactly 65,536 bytes steps the Pi (200)."""
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    code, data, _ = post(bed, "/api/system/time",
                         padded({"timestamp": time.time() * 1000, "timezone": "UTC"}, KIB64 + 1))
    assert code == 413 and error_of(data) == "too-large"
    assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
    assert clock_get(bed, "StepCount") == 0
    code, data, _ = post(bed, "/api/system/time",
                         padded({"timestamp": time.time() * 1000, "timezone": "UTC"}, KIB64))
    assert code == 200 and json.loads(data)["success"] is True, data
    assert abs(pi_minus_host_ms(bed)) < 1000
    assert clock_get(bed, "StepCount") == 1


def test_rest_body_nested_32_levels_is_read_and_33_is_too_deep(webd_bed):
    """A manual sync with an extra member nested 33 levels deep gets 400 too-deep and changes
    nothing; nested 32 levels it steps the Pi."""
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    body = json.dumps({"timestamp": time.time() * 1000}).encode()
    code, data, _ = post(bed, "/api/system/time", nested(33, body))
    assert code == 400 and error_of(data) == "too-deep", data
    assert clock_get(bed, "StepCount") == 0
    body = json.dumps({"timestamp": time.time() * 1000}).encode()
    code, data, _ = post(bed, "/api/system/time", nested(32, body))
    assert code == 200, data
    assert clock_get(bed, "StepCount") == 1


def manual_sync_message(c, size=None, depth=None):
    text = json.dumps({"type": "manual-time-sync",
                       "data": {"clientTime": c.now_ms(), "timezone": "UTC"}}).encode()
    if depth:
        text = nested(depth, text)
    return padded(json.loads(text), size) if size else text


def test_ws_message_of_64_kib_is_parsed_and_one_byte_more_is_too_large(webd_bed):
    """A manual-time-sync of 65,537 bytes gets error too-large without being parsed: the Pi stays
    2 h off and the page stays open; the same message in exactly 65,536 bytes syncs the Pi."""
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"PICAMSYNC_AUTO_SYNC": "0"})
    c = Client(bed)
    try:
        c.welcome()
        c.ws.send(manual_sync_message(c, KIB64 + 1))
        assert c.wait_for(is_type("error"))["data"]["code"] == "too-large"
        c.request_status()  # still open
        assert clock_get(bed, "StepCount") == 0
        c.ws.send(manual_sync_message(c, KIB64))
        result = c.wait_for(is_type("manual-time-sync-result"))["data"]
        assert result["success"] is True, result
        assert abs(pi_minus_host_ms(bed)) < 1000
        assert not [m for m in c.messages if m["type"] == "error"
                    and m["data"]["code"] != "too-large"]
    finally:
        c.close()


def test_ws_message_within_what_webd_reads_stays_open_and_past_it_is_closed_1009(webd_bed):
    """A message of 69,000 bytes (its frame within the 69,632 bytes webd reads of one message)
    gets too-large and the page stays open; one of 70,000 bytes gets too-large and the connection
    is closed with 1009. The Pi is not changed by either."""
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"PICAMSYNC_AUTO_SYNC": "0"})
    c = Client(bed)
    try:
        c.welcome()
        c.ws.send(manual_sync_message(c, 69_000))
        assert c.wait_for(is_type("error"))["data"]["code"] == "too-large"
        c.request_status()  # still open
        c.ws.send(manual_sync_message(c, 70_000))
        assert c.wait_for(is_type("error"))["data"]["code"] == "too-large"
        try:
            c.wait_for(lambda m: False, timeout=30)
            raise AssertionError("the connection stayed open")
        except ConnectionError:
            pass
        assert c.ws.close_code == 1009
    finally:
        c.close()
    assert clock_get(bed, "StepCount") == 0
    assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1


def test_ws_message_nested_32_levels_is_parsed_and_33_is_bad_json(webd_bed):
    """A manual-time-sync with a member nested 33 levels deep gets bad-json and changes nothing;
    nested 32 levels it syncs the Pi."""
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"PICAMSYNC_AUTO_SYNC": "0"})
    c = Client(bed)
    try:
        c.welcome()
        c.ws.send(manual_sync_message(c, depth=33))
        assert c.wait_for(is_type("error"))["data"]["code"] == "bad-json"
        c.request_status()
        assert clock_get(bed, "StepCount") == 0
        c.ws.send(manual_sync_message(c, depth=32))
        assert c.wait_for(is_type("manual-time-sync-result"))["data"]["success"] is True
        assert abs(pi_minus_host_ms(bed)) < 1000
    finally:
        c.close()


def errors_after(c, message):
    """The error messages webd sent for message (once it has handled it)."""
    seen = len(c.messages)
    c.ws.send_json(message)
    c.barrier()
    return [m for m in c.messages[seen:] if m["type"] == "error"]


def test_request_id_of_64_characters_is_read_and_65_is_an_invalid_field(webd_bed):
    """A time-sync-response whose requestId has 64 characters is read (and ignored: nobody asked
    for it, docs/sync-policy.md); with 65 it gets invalid-field naming data.requestId."""
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"PICAMSYNC_AUTO_SYNC": "0"})
    c = Client(bed)
    try:
        c.welcome()

        def respond(request_id):
            now = c.now_ms()
            return errors_after(c, {"type": "time-sync-response", "data": {
                "requestId": request_id, "serverTime": now, "clientReceiveTime": now,
                "clientTime": now, "timezone": "UTC"}})

        assert respond("r" * 64) == []
        errors = respond("r" * 65)
        assert [e["data"]["code"] for e in errors] == ["invalid-field"], errors
        assert "requestId" in errors[0]["data"]["message"]
    finally:
        c.close()
    assert clock_get(bed, "StepCount") == 0


def test_location_error_of_256_bytes_is_read_and_257_is_an_invalid_field(webd_bed):
    """A location-response whose error has 256 bytes is read (and ignored: webd asked this page
    for no location); with 257 bytes it gets invalid-field naming data.error."""
    bed = webd_bed(env={"PICAMSYNC_AUTO_SYNC": "0"})
    c = Client(bed)
    try:
        c.welcome()
        assert errors_after(c, {"type": "location-response",
                                "data": {"requestId": "loc-1", "error": "é" * 128}}) == []
        errors = errors_after(c, {"type": "location-response",
                                  "data": {"requestId": "loc-1", "error": "é" * 128 + "x"}})
        assert [e["data"]["code"] for e in errors] == ["invalid-field"], errors
        assert "data.error" in errors[0]["data"]["message"]
    finally:
        c.close()


def call(bed, obj, iface, method, sig=None, *args):
    bus = BusClient(bed.bus.address)
    try:
        return bus.call(MANAGER[0], obj, iface, method, sig, args, timeout_ms=60000)
    finally:
        bus.close()


def test_shots_title_and_frame_pages_at_and_past_their_limits(make_testbed):
    """POST /api/timelapse: 1,000,001 shots get invalid-shots and a 201-byte title invalid-title,
    starting nothing; 1,000,000 shots with a 200-byte title start a timelapse (stopped at once).
    Its frames file made 1,001 frames long: a page of 1,000 is served whole over REST and the bus;
    limit=1001 gets 400 invalid-page over REST, and GetFrames reads a limit above 1,000 as 1,000.
    (That a timelapse ends by itself after 1,000,000 frames is tested on the scheduler,
    tests/unit/test-timelapse-schedule.c, max-frames.)"""
    bed = make_testbed()
    sim = bed.start_sim()
    bed.start_camerad({"PICAMSYNC_CAMERA_URLS": sim["camera"]})
    path = wait_camera_connected(bed)
    bed.start_webd({"PICAMSYNC_AUTO_SYNC": "0"})
    wait_until(lambda: http(bed, "GET", "/api/timelapse")[0] == 200, 30, "webd to see camerad")

    for body, code in (({"intervalMs": 1000, "shots": 1_000_001}, "invalid-shots"),
                       ({"intervalMs": 1000, "shots": 10, "title": "é" * 100 + "x"},
                        "invalid-title")):
        status, data, _ = post(bed, "/api/timelapse", body)
        assert status == 400 and error_of(data) == code, data
    assert call(bed, MANAGER[1], MANAGER[2], "ListReports")[0] == []
    status, data, _ = post(bed, "/api/timelapse",
                           {"intervalMs": 1000, "shots": 1_000_000, "title": "é" * 100})
    assert status == 201, data
    tid = json.loads(data)["id"]
    assert http(bed, "DELETE", "/api/timelapse")[0] == 200
    wait_until(lambda: call(bed, path, "org.freedesktop.DBus.Properties", "Get", "ss",
                            CAMERA_IFACE, "TimelapseState")[0] == "idle", 60,
               "the timelapse to stop")
    report = json.loads(call(bed, MANAGER[1], MANAGER[2], "GetReport", "s", tid)[0])
    assert report["shots"]["planned"] == 1_000_000 and report["title"] == "é" * 100

    # 1,001 frames, written as camerad writes them (test_timelapse_frames.py does the same).
    frames_path = os.path.join(bed.workdir, "camerad-state", "reports", f"{tid}.frames")
    line = ('{"index":%d,"ok":true,"error":null,"due":%d,"sent":null,"rttUSec":null,'
            '"lateUSec":null,"camera":null,"cameraBoundUSec":null}\n')
    with open(frames_path, "w") as f:
        for i in range(1001):
            f.write(line % (i, 1_800_000_000_000_000 + i * 1_000_000))
    pw = pwd.getpwnam("picamsync-camera")
    os.chown(frames_path, pw.pw_uid, pw.pw_gid)

    status, data, _ = http(bed, "GET", f"/api/reports/{tid}/frames?limit=1000")
    page = json.loads(data)
    assert status == 200 and page["count"] == 1001 and len(page["records"]) == 1000, data[:200]
    status, data, _ = http(bed, "GET", f"/api/reports/{tid}/frames?limit=1001")
    assert status == 400 and error_of(data) == "invalid-page"
    for limit in (1000, 1001, 0):
        total, text = call(bed, MANAGER[1], MANAGER[2], "GetFrames", "suu", tid, 0, limit)
        assert total == 1001 and len(json.loads(text)) == 1000, limit

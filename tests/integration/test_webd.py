# SPDX-License-Identifier: LGPL-2.1-or-later
"""picamsync-webd against the testbed: socket activation, the page, REST, the WebSocket time
exchange with a client whose clock differs from the fake Pi clock, the policy's steps and
confirms through clockd, protocol errors, Sync1. "Rule N" is rule N of docs/sync-policy.md.
"""

import json
import os
import subprocess
import time

import pytest

from busclient import BusClient
from testbed_clients import (CLOCK, SYNC1, TWO_HOURS_MS, Client, WsClient, clock_get, http,
                             is_event, is_type, page_scripts, pi_minus_host_ms, sim_state,
                             wait_camera_connected)


def test_ui_files_and_nothing_else(webd_bed):
    bed = webd_bed()
    status, body, headers = http(bed, "GET", "/favicon.svg")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
    status, body, headers = http(bed, "GET", "/style.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    for path in ("/nope.js", "/../webd.gresource.xml", "/webd.gresource.xml", "/.hidden.js"):
        status, body, _ = http(bed, "GET", path)
        assert status == 404, path
        assert json.loads(body)["error"]["code"] == "not-found"
    # Dot segments are resolved within the root (RFC 3986), never above it.
    assert http(bed, "GET", "/%2e%2e/index.html")[1] == http(bed, "GET", "/")[1]
    # A NUL in the path: libsoup refuses the request itself.
    status, body, _ = http(bed, "GET", "/index.html%00.js")
    assert status == 400
    status, body, _ = http(bed, "POST", "/index.html", body=b"{}",
                           headers={"Content-Type": "application/json"})
    assert status == 405


def test_page_and_rest_time(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS)
    status, body, headers = http(bed, "GET", "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    scripts = page_scripts(bed, body)
    assert b"/ws" in scripts and b"time-sync-response" in scripts and b"timeOrigin" in scripts

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
        welcome = c.welcome()
        assert welcome["interface"] == "ap"
        assert welcome["autoSync"] is True
        assert welcome["status"]["thresholdMs"] == 1000
        ev = c.wait_pi_sync()
        assert ev["data"]["stepped"] is True
        assert ev["data"]["source"] == "client-ap"
        assert abs(ev["data"]["offset"] - TWO_HOURS_MS) < 1000
        # Fast first step (docs/sync-policy.md): on loopback the first round already makes the
        # step certain, so the Pi is stepped after it, and a whole check of up to 8 rounds
        # follows, which steps what is left only when that is over its bound and 1 ms.
        assert ev["data"]["refining"] is True
        refined = ev["refined"]["data"]
        assert refined["refining"] is False and refined["source"] == "client-ap"
        assert abs(refined["offset"]) < 1000
        rounds = [m["requestId"] for m in c.messages if m["type"] == "time-sync-request"]
        assert [r for r in rounds if r.startswith("1-1-")] == ["1-1-1"], rounds
        assert 1 <= len([r for r in rounds if r.startswith("1-2-")]) <= 8, rounds
        assert len(set(rounds)) == len(rounds)
        # The Pi clock now agrees with the client's (the host's) clock.
        assert abs(pi_minus_host_ms(bed)) < 5
        assert clock_get(bed, "Reliability") == "high"
        assert clock_get(bed, "StepCount") == 1 + (1 if refined["stepped"] else 0)
        assert clock_get(bed, "LastSyncSource") == "client-ap"
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
        ev = c.wait_pi_sync()
        assert ev["data"]["stepped"] is False
        assert 300 < ev["data"]["offset"] < 700
        assert clock_get(bed, "StepCount") == 0
        assert clock_get(bed, "LastSyncSource") == "client-ap"
        assert clock_get(bed, "Reliable") is True
        assert abs(pi_minus_host_ms(bed) + 500) < 1
    finally:
        c.close()


def test_client_zone_sets_the_pi_zone(webd_bed):
    bed = webd_bed()
    c = Client(bed, zone="Europe/Berlin")
    try:
        c.wait_pi_sync()
        clock = BusClient(bed.bus.address)
        deadline = time.monotonic() + 20
        while clock.get(*CLOCK, "Timezone") != "Europe/Berlin" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert clock.get(*CLOCK, "Timezone") == "Europe/Berlin"
        clock.close()
    finally:
        c.close()


def test_bad_messages_get_error_codes(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS,
                   env={"PICAMSYNC_AUTO_SYNC": "0", "TIME_SYNC_THRESHOLD": "250"})
    before = pi_minus_host_ms(bed)
    c = Client(bed)
    try:
        welcome = c.wait_for(is_type("welcome"), answer=False)
        assert welcome["data"]["autoSync"] is False
        assert welcome["data"]["status"]["thresholdMs"] == 250

        def error_after(payload):
            c.ws.send(payload)
            return c.wait_for(is_type("error"), answer=False)["data"]["code"]

        assert error_after("{not json") == "bad-json"
        assert error_after(json.dumps({"type": "no-such-type", "data": {}})) == "unknown-type"
        assert error_after(json.dumps({"type": "time-sync-response",
                                       "data": {"requestId": "x", "clientTime": "soon"}})) \
            == "invalid-field"
        # Over 64 KiB but within what webd reads of one message: refused, the page stays.
        assert error_after(json.dumps({"type": "get-time-sync-status",
                                       "data": {"pad": "x" * 66000}})) == "too-large"
        # A response nobody asked for is ignored, quietly.
        c.ws.send_json({"type": "time-sync-response", "data": {
            "requestId": "1-1-1", "serverTime": 0, "clientTime": time.time() * 1000}})
        status = c.request_status()
        assert status["data"]["pi"]["reliability"] == "none"
        assert not any(m["type"] == "time-sync-request" for m in c.messages)
        assert abs(pi_minus_host_ms(bed) - before) < 1
        assert clock_get(bed, "StepCount") == 0
    finally:
        c.close()


def test_response_of_other_connection_is_ignored(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"TIME_SYNC_RETRY_DELAY": "2000"})
    a = Client(bed)
    b = Client(bed)
    try:
        req = a.wait_for(is_type("time-sync-request"), answer=False)
        # b answers a's request with a wildly wrong clock: ignored.
        b.ws.send_json({"type": "time-sync-response", "data": {
            "requestId": req["requestId"], "serverTime": req["serverTime"],
            "clientTime": time.time() * 1000 + 3600e3}})
        a.answer(req)
        ev = a.wait_pi_sync()
        assert abs(ev["data"]["offset"] - TWO_HOURS_MS) < 1000
        assert abs(pi_minus_host_ms(bed)) < 5
    finally:
        a.close()
        b.close()


def test_unanswered_check_changes_nothing(webd_bed):
    bed = webd_bed(pi_offset_ms=-TWO_HOURS_MS, env={"TIME_SYNC_RETRY_DELAY": "300"})
    before = pi_minus_host_ms(bed)
    c = Client(bed)
    try:
        c.wait_for(lambda m: m["type"] == "activity_log" and any(
            "did not answer" in e["message"] for e in m["data"]["entries"]), answer=False)
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


def test_camera_set_after_pi_sync(make_testbed):
    bed = make_testbed(start=False, pi_offset_ms=-TWO_HOURS_MS)
    bed.start(camera=True, camera_offset_ms=4000)  # clockd, the simulator, camerad and webd
    # camerad finds the configured camera by itself; wait until it is connected.
    wait_camera_connected(bed)
    bus = BusClient(bed.bus.address)
    sim = bed.sims[0]
    c = Client(bed)
    try:
        c.wait_pi_sync()
        # The camera follows the refined Pi (docs/sync-policy.md, "Fast first step"): its
        # camera-sync comes after the pi-sync of the check after the step.
        assert not [m for m in c.messages if is_event("camera-sync")(m)], c.messages
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
        c.wait_for(is_type("welcome"), answer=False)
        assert bus.get(*SYNC1, "AutoSync") is False
        bus.call(*SYNC1, "SyncNow")
        c.wait_pi_sync()
        assert abs(pi_minus_host_ms(bed)) < 5
    finally:
        c.close()
        bus.close()


@pytest.mark.parametrize("name,value", [("TIME_SYNC_THRESHOLD", "soon"),
                                        ("TIME_SYNC_RETRY_DELAY", "-5"),
                                        ("PICAMSYNC_AUTO_SYNC", "maybe"),
                                        ("PICAMSYNC_AP_INTERFACES", "bad/name"),
                                        ("PICAMSYNC_ZONEINFO_DIR", "zoneinfo")])
def test_bad_configuration_stops_webd_naming_the_variable(builddir, name, value):
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
        welcome = c.wait_for(is_type("welcome"), answer=False)
        assert welcome["data"]["interface"] == "lan"
        assert bus.get(*SYNC1, "ClientsLan") == 1 and bus.get(*SYNC1, "ClientsAp") == 0
        c.request_status()
        assert not any(m["type"] == "time-sync-request" for m in c.messages)
        assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1
        # Rule 7: a manual sync from the page, with a burst.
        result = c.manual_sync()
        assert result["data"]["success"] is True and result["data"]["stepped"] is True
        assert abs(pi_minus_host_ms(bed)) < 5
        assert clock_get(bed, "LastSyncSource") == "manual"
    finally:
        c.close()
        bus.close()

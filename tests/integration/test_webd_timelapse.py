# SPDX-License-Identifier: LGPL-2.1-or-later
"""Timelapses and reports through webd's REST API (web-protocol.md, "POST /api/timelapse" to
"GET /api/reports/{id}"): real clockd, camerad and camera simulator on the testbed, pages as
WebSocket clients. The simulator's shot log tells whether a timelapse really ran. "Rule N" is
rule N of docs/sync-policy.md."""

import json
import re
import time

import pytest

from picamsync_testbed import wait_until
from testbed_clients import (Client, http, is_event, is_type, pi_minus_host_ms, sim_set,
                             sim_state, wait_camera_connected)

JSON = {"Content-Type": "application/json"}
TITLE = 'Moon <rise> & "stars"'


def post(bed, path, body):
    return http(bed, "POST", path, body, JSON)


def get_json(bed, path):
    code, data, _ = http(bed, "GET", path)
    assert code == 200, (path, code, data)
    return json.loads(data)


def error_code(data):
    e = json.loads(data)["error"]
    assert e["message"], e  # always words for the user
    return e["code"]


def camera_bed(make_testbed, camera_offset_ms=0, webd_env=None):
    """clockd, a simulator, camerad with it connected, then webd."""
    bed = make_testbed()
    sim = bed.start_sim(offset_ms=camera_offset_ms)
    bed.start_camerad({"PICAMSYNC_CAMERA_URLS": sim["camera"]})
    wait_camera_connected(bed)
    bed.start_webd(webd_env)
    wait_until(lambda: get_json(bed, "/api/timesync/status")["status"]["camera"]["connected"],
               15, "webd to see the camera")
    return bed, sim


def log_messages(bed):
    return [e["message"] for e in get_json(bed, "/api/timesync/log")["entries"]]


def wait_log(bed, text, timeout=30):
    wait_until(lambda: any(text in m for m in log_messages(bed)), timeout,
               f"a log entry with {text!r}")
    return [m for m in log_messages(bed) if text in m]


def wait_idle(bed, tl_id, timeout=30):
    """Until timelapse tl_id has ended (webd may not have heard of its start yet)."""
    def ended():
        t = get_json(bed, "/api/timelapse")
        return t["id"] == tl_id and t["state"] == "idle"
    wait_until(ended, timeout, f"timelapse {tl_id} to end")


def statuses(messages):
    """The timelapse objects of every status a page was sent."""
    out = []
    for m in messages:
        if m["type"] == "time-sync-status":
            out.append(m["data"]["timelapse"])
        elif m["type"] == "welcome":
            out.append(m["data"]["status"]["timelapse"])
    return out


def test_timelapse_with_typed_location_and_its_report(make_testbed):
    bed, sim = camera_bed(make_testbed)
    page = Client(bed)
    try:
        welcome = page.welcome()
        assert welcome["status"]["timelapse"] == {"state": "idle", "id": None, "shotsTaken": 0,
                                                  "shotsFailed": 0, "nextShotTime": None}
        assert get_json(bed, "/api/reports") == {"reports": []}
        # The page (an access-point client) makes the Pi reliable, then the camera is checked.
        assert page.wait_pi_sync()["data"]["synchronized"] is True
        wait_log(bed, "nothing to change")

        code, data, _ = post(bed, "/api/timelapse", {
            "intervalMs": 1000, "shots": 5, "title": TITLE,
            "location": {"latitude": 46.5197, "longitude": 6.6323, "accuracy": 12,
                         "altitude": 372}})
        assert code == 201, data
        started = json.loads(data)
        tl_id = started["id"]
        assert started["state"] == "running" and tl_id.endswith("-SIM00000000")
        assert set(started) >= {"shotsTaken", "shotsFailed", "nextShotTime", "location",
                                "report"}

        # Running, with progress, over REST ...
        wait_until(lambda: get_json(bed, "/api/timelapse")["shotsTaken"] >= 1, 10,
                   "the first shot")
        now = get_json(bed, "/api/timelapse")
        assert now["id"] == tl_id and now["state"] in ("running", "stopping")
        assert now["report"]["id"] == tl_id and now["report"]["title"] == TITLE
        # ... and over the WebSocket, live.
        page.wait_for(lambda m: m["type"] == "time-sync-status"
                      and m["data"]["timelapse"]["state"] == "idle"
                      and m["data"]["timelapse"]["shotsTaken"] == 5, timeout=20)
        seen = [t for t in statuses(page.messages) if t["id"] == tl_id]
        taken = [t["shotsTaken"] for t in seen]
        assert taken == sorted(taken) and len(set(taken)) >= 3, taken
        assert any(t["state"] == "running" and t["nextShotTime"] for t in seen), seen
        assert len(sim_state(sim)["shotLog"]) == 5

        wait_idle(bed, tl_id)
        rep = get_json(bed, f"/api/reports/{tl_id}")
        assert rep["id"] == tl_id and rep["title"] == TITLE
        assert rep["state"] == "completed"
        assert rep["shots"]["taken"] == 5 and rep["shots"]["failed"] == 0
        loc = rep["location"]
        assert loc["source"] == "manual"
        assert loc["latitude"] == 46.5197 and loc["longitude"] == 6.6323
        assert loc["accuracy"] == 12 and loc["altitude"] == 372
        assert loc["obtainedAt"] is not None
        pi = rep["timeSync"]["pi"]
        assert pi["reliability"] == "high" and pi["source"] == "client-ap"
        assert pi["lastSync"] is not None and pi["zone"] == "UTC"
        assert rep["timeSync"]["camera"]["measuredAt"] is not None
        assert rep["timeSync"]["cameraSetDeferred"] is False

        # A second one, so that the list has an order to show.
        code, data, _ = post(bed, "/api/timelapse", {"intervalMs": 500, "shots": 1})
        assert code == 201, data
        second = json.loads(data)["id"]
        wait_idle(bed, second)
        reports = get_json(bed, "/api/reports")["reports"]
        assert [r["id"] for r in reports] == [second, tl_id]  # newest first
        first = reports[1]
        assert first["title"] == TITLE and first["shotsTaken"] == 5
        assert first["shotsFailed"] == 0
        assert first["start"].endswith("Z") and first["end"].endswith("Z")

        code, body, headers = http(bed, "GET", f"/api/reports/{tl_id}?format=html")
        assert code == 200
        assert headers["Content-Type"].startswith("text/html")
        html = body.decode()
        assert "Moon &lt;rise&gt; &amp; &quot;stars&quot;" in html
        assert "<rise>" not in html and "<script" not in html
        assert "46.519700" in html and "typed in" in html

        code, body, headers = http(bed, "GET", f"/api/reports/{tl_id}?download=1")
        assert code == 200
        assert headers["Content-Disposition"] == f'attachment; filename="{tl_id}.json"'
        assert json.loads(body)["id"] == tl_id
    finally:
        page.close()


def test_location_from_the_page_goes_into_the_report(make_testbed):
    bed, sim = camera_bed(make_testbed)
    page = Client(bed)
    try:
        page.welcome()
        assert get_json(bed, "/api/timelapse")["location"] is None
        # Rule 6: the intervalometer page opens; webd checks, measures, then asks.
        page.ws.send_json({"type": "intervalometer-opened", "data": {}})
        req = page.wait_for(is_type("location-request"), timeout=60)
        fix_ms = time.time() * 1000 - 5000
        page.ws.send_json({"type": "location-response", "data": {
            "requestId": req["requestId"], "latitude": 47.3769, "longitude": 8.5417,
            "accuracy": 30, "altitude": 408, "timestamp": fix_ms}})
        wait_log(bed, "Location received")
        offered = get_json(bed, "/api/timelapse")["location"]
        assert offered["source"] == "browser"
        assert offered["latitude"] == 47.3769 and offered["longitude"] == 8.5417
        assert offered["accuracy"] == 30 and offered["altitude"] == 408

        code, data, _ = post(bed, "/api/timelapse", {"intervalMs": 500, "shots": 1})
        assert code == 201, data
        tl_id = json.loads(data)["id"]
        wait_idle(bed, tl_id)
        loc = get_json(bed, f"/api/reports/{tl_id}")["location"]
        assert loc["source"] == "browser"
        assert loc["latitude"] == 47.3769 and loc["longitude"] == 8.5417
        assert loc["accuracy"] == 30 and loc["altitude"] == 408
        # The fix's own time (the page's clock), not when it arrived.
        assert abs(loc["obtainedAt"]["usec"] / 1000 - fix_ms) < 2

        # "location": null means none, even with one offered.
        code, data, _ = post(bed, "/api/timelapse",
                             {"intervalMs": 500, "shots": 1, "location": None})
        assert code == 201, data
        tl_id = json.loads(data)["id"]
        wait_idle(bed, tl_id)
        assert get_json(bed, f"/api/reports/{tl_id}")["location"] is None
    finally:
        page.close()


BAD_BODIES = [
    ({}, "invalid-interval"),
    ({"intervalMs": 10}, "invalid-interval"),
    ({"intervalMs": 86400001}, "invalid-interval"),
    ({"intervalMs": "1000"}, "invalid-interval"),
    ({"intervalMs": 1000.5}, "invalid-interval"),
    ({"intervalMs": 1000, "shots": -1}, "invalid-shots"),
    ({"intervalMs": 1000, "shots": 1.5}, "invalid-shots"),
    ({"intervalMs": 1000, "shots": 1000001}, "invalid-shots"),
    ({"intervalMs": 1000, "shots": "5"}, "invalid-shots"),
    ({"intervalMs": 1000, "endTime": "2000-01-01T00:00:00.000Z"}, "invalid-end-time"),
    ({"intervalMs": 1000, "endTime": "tomorrow"}, "invalid-end-time"),
    ({"intervalMs": 1000, "endTime": 1000}, "invalid-end-time"),
    ({"intervalMs": 1000, "title": "x" * 201}, "invalid-title"),
    ({"intervalMs": 1000, "title": 5}, "invalid-title"),
    ({"intervalMs": 1000, "location": "here"}, "invalid-location"),
    ({"intervalMs": 1000, "location": {"latitude": 91, "longitude": 0}}, "invalid-location"),
    ({"intervalMs": 1000, "location": {"latitude": 1}}, "invalid-location"),
    ({"intervalMs": 1000, "location": {"latitude": 1, "longitude": 181}}, "invalid-location"),
    ({"intervalMs": 1000, "location": {"latitude": 1, "longitude": 2, "accuracy": -1}},
     "invalid-location"),
    ({"intervalMs": 1000, "location": {"latitude": 1, "longitude": 2, "source": "gps"}},
     "invalid-location"),
    ({"intervalMs": 1000, "location": {"latitude": 1, "longitude": 2, "timestamp": "x"}},
     "invalid-location"),
]


def test_errors_change_nothing(make_testbed):
    bed, sim = camera_bed(make_testbed)

    def nothing_ran():
        assert get_json(bed, "/api/timelapse")["state"] == "idle"
        assert get_json(bed, "/api/reports") == {"reports": []}
        assert sim_state(sim)["shotLog"] == []

    for body, code in BAD_BODIES:
        status, data, _ = post(bed, "/api/timelapse", body)
        assert (status, error_code(data)) == (400, code), (body, data)
    for body in (b"{\"intervalMs\": ", b"[1]"):
        status, data, _ = post(bed, "/api/timelapse", body)
        assert status == 415, (body, data)
    status, data, _ = http(bed, "PUT", "/api/timelapse", {"intervalMs": 1000}, JSON)
    assert status == 405
    status, data, _ = http(bed, "DELETE", "/api/timelapse")
    assert (status, error_code(data)) == (409, "no-timelapse")
    for path in ("/api/reports/bad.id", "/api/reports/", "/api/reports/" + "a" * 101,
                 "/api/reports/%3Cx%3E"):
        status, data, _ = http(bed, "GET", path)
        assert (status, error_code(data)) == (400, "invalid-report-id"), (path, data)
    status, data, _ = http(bed, "GET", "/api/reports/20000101T000000Z-nothing")
    assert (status, error_code(data)) == (404, "no-report")
    status, data, _ = http(bed, "GET", "/api/reports/20000101T000000Z-nothing?format=pdf")
    assert (status, error_code(data)) == (400, "invalid-format")
    status, data, _ = http(bed, "POST", "/api/timelapse", {"intervalMs": 1000},
                           dict(JSON, Origin="http://evil.example"))
    assert (status, error_code(data)) == (403, "cross-origin")
    nothing_ran()

    # One runs until stopped: a second is refused, DELETE stops the first.
    status, data, _ = post(bed, "/api/timelapse", {"intervalMs": 1000, "title": "long"})
    assert status == 201, data
    tl_id = json.loads(data)["id"]
    wait_until(lambda: get_json(bed, "/api/timelapse")["shotsTaken"] >= 1, 10, "a shot")
    status, data, _ = post(bed, "/api/timelapse", {"intervalMs": 1000, "title": "second"})
    assert (status, error_code(data)) == (409, "timelapse-running"), data
    assert len(get_json(bed, "/api/reports")["reports"]) == 1
    status, data, _ = http(bed, "DELETE", "/api/timelapse")
    assert status == 200, data
    assert json.loads(data) == {"stopped": True, "id": tl_id}
    wait_idle(bed, tl_id)
    rep = get_json(bed, f"/api/reports/{tl_id}")
    assert rep["state"] == "stopped" and rep["shots"]["planned"] == 0
    shots = len(sim_state(sim)["shotLog"])
    assert shots == rep["shots"]["taken"] >= 1
    status, data, _ = http(bed, "DELETE", "/api/timelapse")
    assert (status, error_code(data)) == (409, "no-timelapse")

    # camerad stopped: 503 for everything that needs it, and nothing starts.
    assert bed.daemons["camerad"].stop() == 0
    wait_until(lambda: not get_json(bed, "/api/timesync/status")["status"]["camera"]["connected"],
               15, "webd to see camerad go")
    status, data, _ = post(bed, "/api/timelapse", {"intervalMs": 1000, "shots": 2})
    assert (status, error_code(data)) == (503, "camera-unavailable"), data
    for method, path in (("DELETE", "/api/timelapse"), ("GET", "/api/reports"),
                         ("GET", f"/api/reports/{tl_id}"), ("GET", "/api/timelapse")):
        status, data, _ = http(bed, method, path)
        assert (status, error_code(data)) == (503, "camera-unavailable"), (method, path, data)
    time.sleep(1.5)
    assert len(sim_state(sim)["shotLog"]) == shots


def test_no_camera(make_testbed):
    bed = make_testbed()
    bed.start_camerad()
    bed.start_webd()
    # Until camerad's first answer webd cannot tell (503); then it knows there is no camera.
    wait_until(lambda: post(bed, "/api/timelapse", {"intervalMs": 1000})[0] != 503, 10,
               "webd to hear from camerad")
    status, data, _ = post(bed, "/api/timelapse", {"intervalMs": 1000, "shots": 2})
    assert (status, error_code(data)) == (404, "no-camera"), data
    status, data, _ = http(bed, "GET", "/api/timelapse")
    assert (status, error_code(data)) == (404, "no-camera"), data
    assert get_json(bed, "/api/reports") == {"reports": []}
    # Without a camera the status says idle.
    assert get_json(bed, "/api/timesync/status")["status"]["timelapse"]["state"] == "idle"


# Rule 5: a camera that is off is not set while a timelapse runs, but right after it.
def test_camera_set_waits_for_the_end_of_the_timelapse(make_testbed):
    bed, sim = camera_bed(make_testbed)
    page = Client(bed)
    try:
        # The page (an access-point client) makes the Pi reliable; the camera is right.
        assert page.wait_pi_sync()["data"]["synchronized"] is True
        wait_log(bed, "nothing to change")
        code, data, _ = post(bed, "/api/timelapse", {"intervalMs": 1000, "shots": 15})
        assert code == 201, data
        tl_id = json.loads(data)["id"]

        sim_set(sim, offsetMs=5000)
        assert page.manual_sync()["data"]["success"] is True
        waits = wait_log(bed, "it will be set when the timelapse ends")
        assert re.search(r"is (4\.9|5\.0)\d* s ahead of the Pi", waits[-1]), waits
        status = get_json(bed, "/api/timesync/status")["status"]
        assert status["camera"]["syncDeferred"] is True
        assert status["timelapse"]["state"] == "running", status["timelapse"]
        state = sim_state(sim)
        assert state["puts"] == 0
        assert abs(state["offsetMs"] - pi_minus_host_ms(bed) - 5000) < 50

        # The end: the set is done, and said so.
        ev = page.wait_for(is_event("camera-sync"), timeout=60)["data"]
        assert ev["success"] is True and 4900 < ev["offset"] < 5100, ev
        assert get_json(bed, f"/api/reports/{tl_id}")["state"] == "completed"
        assert len(sim_state(sim)["shotLog"]) == 15
        wait_log(bed, "The timelapse has ended")
        state = sim_state(sim)
        assert state["puts"] == 1
        assert abs(state["offsetMs"] - pi_minus_host_ms(bed)) < 50, state
        status = get_json(bed, "/api/timesync/status")["status"]
        assert status["camera"]["syncDeferred"] is False
    finally:
        page.close()


def test_camerad_not_running(webd_bed):
    bed = webd_bed()
    status, data, _ = post(bed, "/api/timelapse", {"intervalMs": 1000})
    assert (status, error_code(data)) == (503, "camera-unavailable"), data
    status, data, _ = post(bed, "/api/timelapse", {"intervalMs": 1})
    assert (status, error_code(data)) == (400, "invalid-interval"), data

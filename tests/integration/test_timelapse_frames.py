# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exact frame times (docs/org.picamsync.Camera1.md, "Frames"): every settled frame's send time,
round trip and the camera's clock at the shot, in an append-only frames file beside the report;
GetFrames pages through it; the camera is measured again at the end; webd's JSON download carries
every frame and its printable page pages through them, also for 100,000 frames."""

import json
import os
import pwd
import urllib.request

from gi.repository import GLib

from busclient import BusClient
from picamsync_testbed import wait_until
from testbed_clients import http, pi_minus_host_ms, sim_state, wait_camera_connected

MANAGER = ("org.picamsync.Camera1", "/org/picamsync/Camera1", "org.picamsync.Camera1.Manager")
CAMERA_IFACE = "org.picamsync.Camera1.Camera"
JSON = {"Content-Type": "application/json"}


def camera_bed(make_testbed, camera_offset_ms=2500, web=True):
    """clockd, camerad with a simulated camera, and webd. Without webd nobody steps the Pi
    (webd would step it from the camera), so the camera's true offset stays put."""
    bed = make_testbed()
    sim = bed.start_sim(offset_ms=camera_offset_ms)
    bed.start_camerad({"PICAMSYNC_CAMERA_URLS": sim["camera"]})
    path = wait_camera_connected(bed)
    if web:
        bed.start_webd({"PICAMSYNC_AUTO_SYNC": "0"})
    return bed, sim, path


def call(bed, obj, iface, method, sig=None, *args):
    bus = BusClient(bed.bus.address)
    try:
        return bus.call(MANAGER[0], obj, iface, method, sig, args)
    finally:
        bus.close()


def get(bed, obj, iface, prop):
    bus = BusClient(bed.bus.address)
    try:
        return bus.get(MANAGER[0], obj, iface, prop)
    finally:
        bus.close()


def run_timelapse(bed, path, shots):
    (tid,) = call(bed, path, CAMERA_IFACE, "StartTimelapse", "a{sv}",
                  {"interval_ms": GLib.Variant("u", 1000), "shots": GLib.Variant("u", shots)})
    wait_until(lambda: get(bed, path, CAMERA_IFACE, "TimelapseState") == "idle", 60,
               "the timelapse to end")
    return tid


def frames(bed, tid, offset, limit):
    total, text = call(bed, MANAGER[1], MANAGER[2], "GetFrames", "suu", tid, offset, limit)
    return total, json.loads(text)


def test_frames_say_when_each_shot_went_out_and_what_the_camera_read(make_testbed):
    bed, sim, path = camera_bed(make_testbed, web=False)
    call(bed, path, CAMERA_IFACE, "MeasureOffset")
    tid = run_timelapse(bed, path, 5)

    total, records = frames(bed, tid, 0, 100)
    assert total == 5 and [f["index"] for f in records] == list(range(5))
    # Camera minus Pi, as the simulator and the fake Pi clock know it.
    truth_usec = (sim_state(sim)["offsetMs"] - pi_minus_host_ms(bed)) * 1000
    (report_text,) = call(bed, MANAGER[1], MANAGER[2], "GetReport", "s", tid)
    report = json.loads(report_text)
    for f in records:
        assert f["ok"] is True and f["error"] is None
        assert f["due"] == report["start"]["usec"] + f["index"] * 1_000_000
        assert f["sent"] >= f["due"] - 1000 and f["lateUSec"] >= 0
        assert 0 < f["rttUSec"] < 5_000_000
        # The camera's clock at the shot: the middle of the request, moved by the offset, within
        # the bound (the simulator reads its clock when it answers, inside the request).
        mid = f["sent"] + f["rttUSec"] / 2
        assert abs(f["camera"] - mid - truth_usec) <= f["cameraBoundUSec"] + 2000, f
    assert report["frames"] == {"file": f"{tid}.frames", "count": 5}

    # Measured again at the end: the simulator does not drift, so it moved by nothing (within
    # the two bounds).
    end = report["timeSync"]["cameraAtEnd"]
    assert end is not None and report["timeSync"]["cameraAtEndError"] is None
    assert abs(end["changeUSec"]) <= end["changeBoundUSec"] + 2000
    assert abs(end["offsetUSec"] - truth_usec) <= end["offsetBoundUSec"] + 2000

    # Paging, and its edges.
    assert frames(bed, tid, 2, 2) == (5, records[2:4])
    assert frames(bed, tid, 5, 10) == (5, [])
    assert frames(bed, tid, 0, 0)[1] == records  # 0: as many as allowed (1000)


def test_rest_download_is_one_document_and_the_page_pages(make_testbed):
    bed, sim, path = camera_bed(make_testbed)
    tid = run_timelapse(bed, path, 3)
    code, body, _ = http(bed, "GET", f"/api/reports/{tid}")
    assert code == 200
    doc = json.loads(body)
    assert doc["frames"]["count"] == 3 and doc["frames"]["offset"] == 0
    assert [f["index"] for f in doc["frames"]["records"]] == [0, 1, 2]
    code, body, _ = http(bed, "GET", f"/api/reports/{tid}/frames?offset=1&limit=1")
    assert code == 200
    page = json.loads(body)
    assert page["count"] == 3 and page["offset"] == 1 and page["pageSize"] == 1
    assert [f["index"] for f in page["records"]] == [1]
    code, body, _ = http(bed, "GET", f"/api/reports/{tid}?format=html")
    body = body.decode()
    assert code == 200 and "<h2>Frames</h2>" in body and "Frames 1 to 3 of 3" in body
    assert "<h2>Camera at the end</h2>" in body
    for bad in ["/frames?limit=0", "/frames?limit=1001", "/frames?offset=-1", "?page=x",
                "/nothing"]:
        code, body, _ = http(bed, "GET", f"/api/reports/{tid}{bad}")
        assert code in (400, 404), (bad, code)
        assert json.loads(body)["error"]["message"]
    code, body, _ = http(bed, "GET", "/api/reports/20300101T000000Z-x/frames")
    assert code == 404 and json.loads(body)["error"]["code"] == "no-report"


def test_a_hundred_thousand_frames_stay_readable(make_testbed):
    """A report of 100,000 frames (written here as camerad writes them): a page deep into it,
    the download with every frame, and the printable page's last page."""
    bed, sim, path = camera_bed(make_testbed)
    tid = run_timelapse(bed, path, 1)
    reports = os.path.join(bed.workdir, "camerad-state", "reports")
    n = 100_000
    line = ('{"index":%d,"ok":true,"error":null,"due":%d,"sent":%d,"rttUSec":9000,'
            '"lateUSec":2000,"camera":%d,"cameraBoundUSec":8000}\n')
    t0 = 1_800_000_000_000_000
    frames_path = os.path.join(reports, f"{tid}.frames")
    # A new file put in its place, as camerad sees it only grow or be replaced (it indexes the
    # lines of the file it last paged, camerad/frames-index.h).
    with open(frames_path + ".new", "w") as f:
        for i in range(n):
            f.write(line % (i, t0 + i * 5_000_000, t0 + i * 5_000_000 + 2000,
                            t0 + i * 5_000_000 + 6500))
    pw = pwd.getpwnam("picamsync-camera")
    os.chown(frames_path + ".new", pw.pw_uid, pw.pw_gid)
    os.replace(frames_path + ".new", frames_path)

    total, records = frames(bed, tid, 99_990, 1000)
    assert total == n and [f["index"] for f in records] == list(range(99_990, n))
    # The download of 15 MB: a generous timeout (an ASan build), no timing asserted.
    with urllib.request.urlopen(f"{bed.http_url}/api/reports/{tid}", timeout=300) as r:
        assert r.status == 200
        doc = json.load(r)
    assert doc["frames"]["count"] == n and len(doc["frames"]["records"]) == n
    assert doc["frames"]["records"][-1]["index"] == n - 1
    code, body, _ = http(bed, "GET", f"/api/reports/{tid}?format=html&page=199")
    body = body.decode()
    assert code == 200 and "Frames 99501 to 100000 of 100000" in body
    assert "previous frames" in body and "next frames" not in body


def test_the_camera_is_measured_between_frames_without_delaying_one(make_testbed):
    """With PICAMSYNC_TIMELAPSE_CHECK_INTERVAL at its least (10 s) and a frame every 10 s, the
    camera is measured in the gap after a frame, and the measurement lies between two frames."""
    bed = make_testbed()
    sim = bed.start_sim(offset_ms=1500)
    bed.start_camerad({"PICAMSYNC_CAMERA_URLS": sim["camera"],
                       "PICAMSYNC_TIMELAPSE_CHECK_INTERVAL": "10000"})
    path = wait_camera_connected(bed)
    (tid,) = call(bed, path, CAMERA_IFACE, "StartTimelapse", "a{sv}",
                  {"interval_ms": GLib.Variant("u", 10000), "shots": GLib.Variant("u", 3)})
    wait_until(lambda: get(bed, path, CAMERA_IFACE, "TimelapseState") == "idle", 90,
               "the timelapse to end")
    (text,) = call(bed, MANAGER[1], MANAGER[2], "GetReport", "s", tid)
    report = json.loads(text)
    checks = report["timeSync"]["cameraDuringRun"]
    total, records = frames(bed, tid, 0, 10)
    assert total == 3 and all(f["ok"] for f in records)
    assert len(checks) >= 1
    truth_usec = (sim_state(sim)["offsetMs"] - pi_minus_host_ms(bed)) * 1000
    for c in checks:
        at = c["measuredAt"]["usec"]
        # Between two frames: after one went out and before the next was due.
        assert any(records[i]["sent"] < at < records[i + 1]["due"] for i in range(2)), (c, records)
        assert abs(c["offsetUSec"] - truth_usec) <= c["offsetBoundUSec"] + 2000

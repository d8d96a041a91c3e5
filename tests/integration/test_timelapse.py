# SPDX-License-Identifier: LGPL-2.1-or-later
"""Timelapses in camerad (org.picamsync.Camera1): shots against the camera simulator, whose
own receive times (/sim/state shotLog, shutterLog) measure the spacing; reports on disk."""

import json
import os
import signal
import time

import pytest
from gi.repository import GLib

from busclient import BusCallError, BusClient
from picamsync_testbed import wait_until
from testbed_clients import sim_set, sim_state

NAME = "org.picamsync.Camera1"
MANAGER = ("/org/picamsync/Camera1", "org.picamsync.Camera1.Manager")
CAMERA_IFACE = "org.picamsync.Camera1.Camera"
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"


class Bed:
    def __init__(self, make_testbed):
        self.bed = make_testbed()  # with clockd
        self.sim = self.bed.start_sim()
        self.bed.start_camerad()
        self.client = BusClient(self.bed.bus.address)
        self.path = self.manager("AddCamera", "s", self.sim["camera"])[0]
        self.reports = os.path.join(self.bed.workdir, "camerad-state", "reports")

    def manager(self, method, signature=None, *args):
        return self.client.call(NAME, MANAGER[0], MANAGER[1], method, signature, args,
                                timeout_ms=60000)

    def call(self, method, signature=None, *args):
        return self.client.call(NAME, self.path, CAMERA_IFACE, method, signature, args,
                                timeout_ms=60000)

    def prop(self, name):
        return self.client.get(NAME, self.path, CAMERA_IFACE, name)

    def start(self, **options):
        return self.call("StartTimelapse", "a{sv}", options)[0]

    def wait_idle(self, timeout):
        wait_until(lambda: self.prop("TimelapseState") == "idle", timeout, "the timelapse to end")

    def report_file(self, tl_id):
        with open(os.path.join(self.reports, tl_id + ".json")) as f:
            return json.load(f)


def v(sig, value):
    return GLib.Variant(sig, value)


def spacings(times_usec):
    return [(b - a) / 1000.0 for a, b in zip(times_usec, times_usec[1:])]


def test_ten_shots_one_second_apart(make_testbed):
    t = Bed(make_testbed)
    assert t.prop("TimelapseState") == "idle"
    assert sim_state(t.sim)["autoPowerOff"] == "60"
    t.client.subscribe(sender=NAME, iface=CAMERA_IFACE, member="ShotTaken")
    location = {"latitude": v("d", 47.5), "longitude": v("d", 8.25), "accuracy": v("d", 20.0),
                "source": v("s", "manual")}
    tl_id = t.start(interval_ms=v("u", 1000), shots=v("u", 10), title=v("s", 'Lake "dawn"'),
                    location=v("a{sv}", location),
                    time_sync=v("a{sv}", {"camera_set_deferred": v("b", True)}))
    assert t.prop("TimelapseId") == tl_id
    assert t.prop("TimelapseState") == "running"
    # A second one on the same camera is refused while this one runs.
    with pytest.raises(BusCallError) as e:
        t.start(interval_ms=v("u", 1000))
    assert e.value.name == "org.picamsync.Error.CameraBusy"
    assert "already runs" in e.value.message
    wait_until(lambda: sim_state(t.sim)["autoPowerOff"] == "disable", 5,
               "auto power-off to be disabled")
    wait_until(lambda: t.prop("NextShotUSec") > 0 or t.prop("TimelapseState") == "idle", 5,
               "a next shot time")
    t.wait_idle(20)

    state = sim_state(t.sim)
    log = state["shotLog"]
    gaps = spacings(log)
    print(f"shot spacing (ms, simulator receive times): {gaps}")
    print(f"min {min(gaps):.2f} max {max(gaps):.2f} total {(log[-1] - log[0]) / 1000:.2f} ms")
    assert len(log) == 10
    assert len(state["shutterLog"]) == 10  # no retries were needed, no extra shots
    for g in gaps:
        assert 950 <= g <= 1050, gaps
    # The whole run is anchored to its start: no drift of the schedule either.
    assert abs((log[-1] - log[0]) / 1000 - 9000) <= 50
    assert state["autoPowerOff"] == "60"  # put back
    assert t.prop("ShotsTaken") == 10
    assert t.prop("ShotsFailed") == 0
    assert t.prop("NextShotUSec") == 0

    shots = []
    while True:
        s = t.client.wait_signal(lambda s: s[1] == "ShotTaken", timeout=1)
        if not s:
            break
        shots.append(s[3])
    assert [s[1] for s in shots] == list(range(10))
    assert all(s[0] == tl_id and s[3] is True and s[4] == "" for s in shots)

    rep = t.report_file(tl_id)
    assert rep["id"] == tl_id
    assert rep["title"] == 'Lake "dawn"'
    assert rep["state"] == "completed"
    assert rep["shots"] == {"planned": 10, "taken": 10, "failed": 0, "errors": [],
                            "errorsOmitted": 0}
    assert rep["intervalMs"] == 1000
    assert rep["start"]["utc"].endswith("Z") and rep["end"]["usec"] > rep["start"]["usec"]
    assert rep["camera"]["model"] == "EOS R50"
    assert rep["camera"]["serial"] == "SIM00000000"
    assert rep["camera"]["url"] == t.sim["camera"]
    assert rep["location"]["latitude"] == 47.5
    assert rep["location"]["source"] == "manual"
    assert rep["location"]["altitude"] is None
    assert rep["timeSync"]["cameraSetDeferred"] is True
    assert rep["timeSync"]["pi"]["reliability"] in ("high", "medium", "low", "none")
    assert json.loads(t.manager("GetReport", "s", tl_id)[0]) == rep
    listed = t.manager("ListReports")[0]
    assert [(r[0], r[1], r[4], r[5]) for r in listed] == [(tl_id, 'Lake "dawn"', 10, 0)]


def test_kill_mid_run_leaves_valid_report(make_testbed):
    t = Bed(make_testbed)
    tl_id = t.start(interval_ms=v("u", 1000), shots=v("u", 30), title=v("s", "cut short"))
    wait_until(lambda: t.prop("ShotsTaken") >= 3, 10, "three shots")
    # The report is written by a worker thread just after the property changes.
    wait_until(lambda: t.report_file(tl_id)["shots"]["taken"] >= 3, 5, "three shots on disk")
    killed = t.bed.daemons.pop("camerad")  # its -9 exit is this test's doing
    os.kill(killed.proc.pid, signal.SIGKILL)
    killed.proc.wait(5)
    rep = t.report_file(tl_id)  # valid JSON: json.load would raise otherwise
    taken = len(sim_state(t.sim)["shotLog"])
    assert rep["state"] == "running"
    assert rep["end"] is None
    assert rep["shots"]["planned"] == 30
    # Written after every shot: at most the shot in flight is missing.
    assert taken - 1 <= rep["shots"]["taken"] <= taken
    assert rep["shots"]["taken"] >= 3

    # A new camerad marks it interrupted, keeps its shots, ends it at its last settled frame
    # (taken ones: when it was due), and lists it.
    t.bed.start_camerad()
    client = BusClient(t.bed.bus.address)
    # camerad marks reports after taking its name, before it answers calls: call first.
    listed = client.call(NAME, MANAGER[0], MANAGER[1], "ListReports")[0]
    after = t.report_file(tl_id)
    assert after["state"] == "interrupted"
    assert after["shots"] == rep["shots"]
    assert after["start"] == rep["start"] and after["camera"] == rep["camera"]
    assert after["title"] == "cut short"
    settled = rep["shots"]["taken"] + rep["shots"]["failed"]
    assert rep["shots"]["failed"] == 0
    assert after["end"]["usec"] == rep["start"]["usec"] + (settled - 1) * rep["intervalUSec"]
    assert after["end"]["utc"].endswith("Z")
    assert [tuple(r) for r in listed] == [(tl_id, "cut short", rep["start"]["usec"],
                                           after["end"]["usec"], rep["shots"]["taken"], 0)]
    got = client.call(NAME, MANAGER[0], MANAGER[1], "GetReport", "s", (tl_id,))[0]
    assert json.loads(got) == after
    # Only once: a second restart leaves the file as it is.
    mtime = os.stat(os.path.join(t.reports, tl_id + ".json")).st_mtime_ns
    assert t.bed.daemons.pop("camerad").stop() == 0
    t.bed.start_camerad()
    BusClient(t.bed.bus.address).call(NAME, MANAGER[0], MANAGER[1], "ListReports")
    assert os.stat(os.path.join(t.reports, tl_id + ".json")).st_mtime_ns == mtime
    assert t.report_file(tl_id) == after


@pytest.mark.parametrize("options,name,words", [
    ({}, "InvalidInterval", "interval_ms"),
    ({"interval_ms": ("u", 10)}, "InvalidInterval", "out of range"),
    ({"interval_ms": ("s", "1000")}, "InvalidInterval", "must be"),
    ({"interval_ms": ("u", 1000), "shots": ("u", 5000000)}, "InvalidShots", "too many"),
    ({"interval_ms": ("u", 1000), "end_usec": ("t", 1000)}, "InvalidEndTime", "not in the future"),
    ({"interval_ms": ("u", 1000), "title": ("s", "x" * 201)}, "InvalidTitle", "longer than 200"),
    ({"interval_ms": ("u", 1000), "colour": ("s", "red")}, INVALID, "Unknown option"),
    ({"interval_ms": ("u", 1000),
      "location": ("a{sv}", {"latitude": v("d", 91.0), "longitude": v("d", 0.0),
                             "source": v("s", "manual")})}, "InvalidLocation", "latitude"),
    ({"interval_ms": ("u", 1000),
      "location": ("a{sv}", {"latitude": v("d", 1.0), "longitude": v("d", 0.0)})},
     "InvalidLocation", "source"),
    ({"interval_ms": ("u", 1000),
      "location": ("a{sv}", {"latitude": v("d", 1.0), "longitude": v("d", 0.0),
                             "source": v("s", "gps")})}, "InvalidLocation", "browser"),
    ({"interval_ms": ("u", 1000), "time_sync": ("a{sv}", {"zone": v("s", "../etc")})}, INVALID,
     "zone"),
])
def test_bad_options_rejected(make_testbed, options, name, words):
    t = Bed(make_testbed)
    with pytest.raises(BusCallError) as e:
        t.start(**{k: v(*val) for k, val in options.items()})
    assert e.value.name == (name if "." in name else "org.picamsync.Error." + name)
    assert words in e.value.message
    assert t.prop("TimelapseState") == "idle"
    assert t.prop("TimelapseId") == ""
    assert t.manager("ListReports")[0] == []
    assert sim_state(t.sim)["shots"] == 0
    with pytest.raises(BusCallError) as e:
        t.manager("GetReport", "s", "../../etc/passwd")
    assert e.value.name == "org.picamsync.Error.InvalidReportId"
    with pytest.raises(BusCallError) as e:
        t.call("StopTimelapse")
    assert "No timelapse" in e.value.message


def test_busy_camera_retried_then_failed_no_burst(make_testbed):
    t = Bed(make_testbed)
    sim_set(t.sim, busyForMs=2300)
    tl_id = t.start(interval_ms=v("u", 1000), shots=v("u", 5))
    t.wait_idle(20)
    state = sim_state(t.sim)
    attempts = state["shutterLog"]
    busy = [a["at"] for a in attempts if a["status"] == 503]
    print(f"{len(attempts)} shutter POSTs, {len(busy)} answered 503; "
          f"retry gaps (ms): {spacings(busy)}")
    print(f"shot spacing (ms): {spacings(state['shotLog'])}")
    assert t.prop("ShotsFailed") == 2
    assert t.prop("ShotsTaken") == 3
    assert len(state["shotLog"]) == 3
    # Retries are spaced by the back-off (200 ms); at most interval / back-off of them per
    # frame: no burst. Only the gap from a frame's last retry to the next frame's first try,
    # which is due on the frame's schedule, can be shorter (the retries drift by the time each
    # request takes).
    for before, after in zip(busy, busy[1:]):  # µs
        k = round((after - busy[0]) / 1_000_000)
        on_schedule = abs(after - (busy[0] + k * 1_000_000)) < 60_000
        assert after - before >= 100_000 or on_schedule, spacings(busy)
    assert len(busy) <= 3 * 6
    # No burst: the shots that were taken are at least half an interval apart.
    assert all(g >= 500 for g in spacings(state["shotLog"]))
    rep = t.report_file(tl_id)
    assert rep["shots"]["failed"] == 2
    assert [e["index"] for e in rep["shots"]["errors"]] == [0, 1]
    assert all("busy" in e["error"] for e in rep["shots"]["errors"])


def test_stop(make_testbed):
    t = Bed(make_testbed)
    tl_id = t.start(interval_ms=v("u", 1000), title=v("s", "until stopped"))
    wait_until(lambda: t.prop("ShotsTaken") >= 2, 10, "two shots")
    t.call("StopTimelapse")
    t.wait_idle(10)
    n = len(sim_state(t.sim)["shotLog"])
    time.sleep(1.5)  # nothing more is shot after the stop
    assert len(sim_state(t.sim)["shotLog"]) == n
    rep = t.report_file(tl_id)
    assert rep["state"] == "stopped"
    assert rep["shots"]["planned"] == 0
    assert rep["shots"]["taken"] == n


@pytest.mark.parametrize("latency_ms", [0, 2000])
def test_stop_while_busy_does_not_fail_the_frame(make_testbed, latency_ms):
    """latency 0: the stop comes while the frame waits for its next try; 2000: while a try is
    on its way back (the simulator logs it after half the latency), answered 503 after it."""
    t = Bed(make_testbed)
    sim_set(t.sim, busyForMs=60000, latencyMs=latency_ms)
    tl_id = t.start(interval_ms=v("u", 10000), title=v("s", "stopped while busy"))

    def busy_tries():
        return sum(a["status"] == 503 for a in sim_state(t.sim)["shutterLog"])
    wait_until(lambda: busy_tries() >= (1 if latency_ms else 3), 10, "busy tries of frame 0")
    t.call("StopTimelapse")
    if latency_ms:
        assert t.prop("TimelapseState") == "stopping"  # the try is still in flight
    t.wait_idle(10)
    # The frame the user cut short is neither taken nor failed.
    assert t.prop("ShotsTaken") == 0
    assert t.prop("ShotsFailed") == 0
    wait_until(lambda: t.report_file(tl_id)["state"] == "stopped", 5, "the final report")
    rep = t.report_file(tl_id)
    assert rep["shots"] == {"planned": 0, "taken": 0, "failed": 0, "errors": [],
                            "errorsOmitted": 0}
    assert sim_state(t.sim)["shotLog"] == []


def test_sigterm_ends_report_as_stopped(make_testbed):
    t = Bed(make_testbed)
    tl_id = t.start(interval_ms=v("u", 1000))
    wait_until(lambda: t.prop("ShotsTaken") >= 2, 10, "two shots")
    # camerad ends its timelapses and waits for the report writer before it exits.
    assert t.bed.daemons.pop("camerad").stop() == 0
    rep = t.report_file(tl_id)
    assert rep["state"] == "stopped"
    assert rep["end"]["usec"] > rep["start"]["usec"]
    assert rep["shots"]["taken"] >= 2

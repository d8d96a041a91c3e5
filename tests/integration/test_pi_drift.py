# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Pi's drift on Clock1 (docs/org.picamsync.Clock1.md, "Drift of the Pi clock"): clockd under
the fake Pi clock running at a known rate, synced by hand at several CLOCK_BOOTTIME points."""

import json
import math
import os
import re

from busclient import BusClient
from conftest import CLOCK, ClockProxy
from picamsync_testbed import wait_until
from test_ctl import run as run_ctl

SEC = 1_000_000
ALERT_ID = "MESSAGE_ID=9d221a2374fd4701869e6c163ccca83f"
# clockd checks for outside steps every 100 ms: a fake rate of 10000 ppm then moves the clock by
# about 1 ms between two checks, far below what it takes for a step made by someone else.
BASE_ENV = {"PICAMSYNC_DRIFT_MIN_SPAN": "0", "PICAMSYNC_NTP_CHECK_INTERVAL": "100"}


def start(make_testbed, ppm=0.0, env=None, state=True, before=None):
    bed = make_testbed(start=False, ppm=ppm)
    state_dir = os.path.join(bed.workdir, "clockd-state")
    if state:
        os.makedirs(state_dir)
    if before:
        before(state_dir)
    bed.start_clockd(dict(BASE_ENV, PICAMSYNC_STATE_DIR=state_dir, **(env or {})))
    return bed, state_dir, ClockProxy(BusClient(bed.bus.address))


def wait_boottime(clock, after_usec):
    """Waits (a condition, not a duration) until CLOCK_BOOTTIME has passed after_usec."""
    return wait_until(lambda: clock.call("GetTime")[1] >= after_usec, 120,
                      "CLOCK_BOOTTIME to move on", interval=0.05)


def test_drift_matches_the_fake_rate_and_survives_a_restart(make_testbed):
    bed, state_dir, clock = start(make_testbed, ppm=10000)
    clock.watch()
    p = clock.props()
    assert p["DriftPoints"] == 0
    assert math.isnan(p["DriftPPM"]) and math.isnan(p["DriftUncertaintyPPM"])
    _code, out, _err = run_ctl(bed, "status")
    assert re.search(r"^ *Pi drift: not known yet \(0 syncs since boot", out, re.M), out

    # True time is CLOCK_BOOTTIME + base: the Pi, 10000 ppm fast, falls behind by 10 ms a s.
    real, boot = clock.call("GetTime")
    base = real - boot
    for i in range(6):
        boot = wait_boottime(clock, boot + 2 * SEC) if i else boot
        real, boot = clock.call("GetTime")
        offset = boot + base - real
        # StepTime moves the clock, Confirm does not: both must come out the same.
        clock.call("StepTime" if i % 2 == 0 else "Confirm", "xs", offset, "ntp")

    p = clock.props()
    assert p["DriftPoints"] == 6
    ppm, sigma = p["DriftPPM"], p["DriftUncertaintyPPM"]
    assert sigma > 0
    assert abs(ppm - 10000) <= 4 * sigma, (ppm, sigma)
    assert clock.wait_changed("DriftPoints", timeout=30, value=6) == 6

    history = clock.call("GetDriftHistory")[0]
    assert len(history) == 6
    assert all(src == "ntp" and unc == 10000 for _b, _o, _c, unc, src in history)
    assert history[0][1] == history[0][2]  # nothing stepped before the first point
    # The free-running clock falls behind more and more, steps or not.
    cumulative = [c for _b, _o, c, _u, _s in history]
    assert cumulative == sorted(cumulative, reverse=True)
    assert "PICAMSYNC_OFFSET_USEC" in bed.daemons["clockd"].log()

    assert bed.daemons.pop("clockd").stop() == 0
    bed.start_clockd(dict(BASE_ENV, PICAMSYNC_STATE_DIR=state_dir))
    again = ClockProxy(BusClient(bed.bus.address))
    p = again.props()
    assert p["DriftPoints"] == 6
    assert p["DriftPPM"] == ppm and p["DriftUncertaintyPPM"] == sigma
    assert again.call("GetDriftHistory")[0] == history

    _code, out, _err = run_ctl(bed, "status")
    line = re.search(r"^ *Pi drift: (.*)$", out, re.M).group(1)
    assert line == (f"{ppm:+.1f} ± {sigma:.1f} ppm ({ppm * 86400e-6:+.2f} ± "
                    f"{sigma * 86400e-6:.2f} s a day, from 6 syncs)"), out
    _code, out, _err = run_ctl(bed, "--json", "status")
    doc = json.loads(out)["clock"]
    assert (doc["driftPpm"], doc["driftUncertaintyPpm"], doc["driftPoints"]) == (ppm, sigma, 6)


def test_alert_fires_beyond_the_threshold_only(make_testbed):
    bed, _state, clock = start(make_testbed, env={"PICAMSYNC_DRIFT_ALERT": "1000"})
    clock.watch()
    _real, boot = clock.call("GetTime")
    for i in range(3):
        boot = wait_boottime(clock, boot + SEC) if i else boot
        clock.call("Confirm", "xs", 0, "client-ap")
    # The three points say "no drift": 0.5 s off is below the 1 s threshold ...
    boot = wait_boottime(clock, boot + SEC)
    clock.call("Confirm", "xs", SEC // 2, "client-ap")
    # ... 40 s off is far beyond it, wherever the line through 0.5 s points.
    wait_boottime(clock, boot + SEC)
    clock.call("Confirm", "xs", -40 * SEC, "ntp")

    alert = clock.client.wait_signal(lambda s: s[1] == "DriftAlert", 30)
    assert alert is not None
    measured, predicted, threshold, source = alert[3]
    assert (measured, threshold, source) == (-40 * SEC, 1000 * 1000, "ntp")
    assert abs(predicted) < 20 * SEC
    # Signals keep their order: an alert for the 0.5 s sync would have come first.
    assert not [s for s in clock.client.signals if s[1] == "DriftAlert"]
    log = bed.daemons["clockd"].log()
    assert ALERT_ID in log
    assert "where its drift so far predicted" in log


def test_corrupt_file_is_reported_and_replaced(make_testbed):
    def corrupt(state_dir):
        with open(os.path.join(state_dir, "pi-drift.history"), "w") as f:
            f.write("boot x\nmeasurement 1 2 3 ntp\nthis is not a line of it\n")

    bed, state_dir, clock = start(make_testbed, before=corrupt)
    assert clock.prop("DriftPoints") == 0
    log = bed.daemons["clockd"].log()
    assert "cannot be read (line 3 is not one of its entries)" in log
    path = os.path.join(state_dir, "pi-drift.history")
    assert os.path.exists(path + ".corrupt")
    clock.call("Confirm", "xs", 1000, "client-lan")
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0].startswith("boot ")
    assert lines[1:] == [lines[1]] and lines[1].startswith("measurement ")
    assert lines[1].endswith(" 1000 50000 client-lan")


def test_unwritable_state_keeps_the_drift_in_memory(make_testbed):
    bed, _state, clock = start(make_testbed, state=False)
    clock.call("Confirm", "xs", 1000, "client-lan")
    clock.call("StepTime", "xs", 2000, "manual")
    assert clock.prop("DriftPoints") == 2
    assert len(clock.call("GetDriftHistory")[0]) == 2
    assert "kept in memory" in bed.daemons["clockd"].log()


def test_camera_and_outside_steps_are_not_measurements(make_testbed):
    bed, _state, clock = start(make_testbed)
    clock.call("Confirm", "xs", 1000, "client-ap")
    clock.call("StepTime", "xs", 5 * SEC, "camera")
    bed.fakeclock.set(offset_ms=60_000)  # someone else: date -s
    wait_until(lambda: clock.prop("StepCount") == 2, 30, "clockd to notice the outside step")
    clock.call("Confirm", "xs", -2000, "client-ap")
    history = clock.call("GetDriftHistory")[0]
    assert [(o, src) for _b, o, _c, _u, src in history] == [(1000, "client-ap"),
                                                            (-2000, "client-ap")]
    step = history[1][2] - history[1][1]
    assert abs(step - (5 * SEC + 55 * SEC)) < SEC // 10, history


def test_camera_alert_fires_beyond_the_threshold_only(make_testbed):
    from test_camera_api import CAMERA_IFACE, NAME, camera_bed
    from testbed_clients import sim_set, sim_state

    # Measurements 1.5 s apart over at least 3 s: a fitted drift of at most a few hundred ppm,
    # which the estimator's drift correction within one measurement can take.
    env = {"PICAMSYNC_DRIFT_MIN_SPAN": "3000"}
    bed, sim, cams = camera_bed(make_testbed, env=env)
    clock = ClockProxy(BusClient(bed.bus.address))
    path = cams.add(sim["camera"])
    cams.client.subscribe(sender=NAME, iface=CAMERA_IFACE, member="DriftAlert")
    _real, boot = clock.call("GetTime")
    for i in range(4):
        boot = wait_boottime(clock, boot + 3 * SEC // 2) if i else boot
        cams.call(path, "MeasureOffset")
    # The fourth was within the default 20 ms of the line: no alert.
    assert not math.isnan(cams.prop(path, "DriftPPM"))
    # The camera's clock jumps by 40 s (nothing camerad did): far beyond it.
    sim_set(sim, offsetMs=sim_state(sim)["offsetMs"] + 40_000)
    measured = cams.call(path, "MeasureOffset")[0]

    alert = cams.client.wait_signal(lambda s: s[1] == "DriftAlert", 30)
    assert alert is not None and alert[2] == path
    got, predicted, threshold = alert[3]
    assert threshold == 20 * 1000
    assert got == measured and abs(got - predicted) > 39 * SEC
    # Signals keep their order: an alert for an earlier measurement would have come first.
    assert not [s for s in cams.client.signals if s[1] == "DriftAlert"]
    assert "where its drift so far predicted" in bed.daemons["camerad"].log()


def test_webd_warns_every_page_and_serves_the_pi_drift(make_testbed):
    from testbed_clients import Client, http, is_type

    bed = make_testbed(env=dict(BASE_ENV, PICAMSYNC_DRIFT_ALERT="1000"))
    bed.start_webd()
    clock = ClockProxy(BusClient(bed.bus.address))
    status, body, _ = http(bed, "GET", "/api/pi/drift")
    assert status == 200
    doc = json.loads(body)
    assert set(doc) == {"driftPpm", "driftUncertaintyPpm", "driftSecondsPerDay",
                        "driftUncertaintySecondsPerDay", "driftPoints", "ntpSynchronized"}
    pages = [Client(bed), Client(bed)]
    for p in pages:
        p.welcome()

    _real, boot = clock.call("GetTime")
    for i in range(3):
        boot = wait_boottime(clock, boot + SEC) if i else boot
        clock.call("Confirm", "xs", 0, "ntp")
    wait_boottime(clock, boot + SEC)
    clock.call("Confirm", "xs", -40 * SEC, "ntp")

    # The pages never answer webd's time-sync requests: a page's check that ended after the
    # last Confirm would be a sync of its own, seconds off what the drift then predicts, and a
    # second alert (a busy machine delays the check at connection that far; seen once).
    for p in pages:
        warning = p.wait_for(lambda m: is_type("warning")(m)
                             and "Drift alert" in m["data"]["message"], answer=False)
        assert warning["data"]["message"].startswith(
            "Drift alert: the Pi clock was 40.000 s ahead of NTP, where its drift so far "
            "predicted "), warning
        entry = next((m for m in p.messages if m["type"] == "activity_log"
                      and any("Drift alert" in e["message"] for e in m["data"]["entries"])),
                     None) or p.wait_for(lambda m: m["type"] == "activity_log" and any(
                         "Drift alert" in e["message"] for e in m["data"]["entries"]),
                                         answer=False)
        logged = [e for e in entry["data"]["entries"] if "Drift alert" in e["message"]][-1]
        assert logged["level"] == "warning" and logged["type"] == "sync"
        assert logged["details"]["offsetMs"] == -40000
    # Once per alert: no second warning for it.
    for p in pages:
        p.barrier()
        assert len([m for m in p.messages if m["type"] == "warning"
                    and "Drift alert" in m["data"]["message"]]) == 1

    status, body, _ = http(bed, "GET", "/api/pi/drift")
    doc = json.loads(body)
    assert doc["driftPoints"] == clock.prop("DriftPoints") >= 4
    assert doc["driftPpm"] == clock.prop("DriftPPM")
    assert doc["driftUncertaintyPpm"] == clock.prop("DriftUncertaintyPPM")

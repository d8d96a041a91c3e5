# SPDX-License-Identifier: LGPL-2.1-or-later
"""Power saving while NTP-synchronised (docs/sync-policy.md, "Power saving") end to end: the
fake clock says NTP synchronised, clockd reports it (its NTP check shortened to 200 ms), webd
stops its periodic checks and its no-client notice, camerad stretches its idle probes and drift
checks; the moment the fake clock says NTP is lost, everything comes back without a restart.

No timing asserts: a window with power saving on must see nothing at all (the feature broken
is the only way to see something), and with it off the test waits, with a generous deadline,
for at least two of what it counts."""

import json
import os
import re
import subprocess
import time

from busclient import BusClient
from testbed_clients import (CAMERA_IFACE, CAMERA_MANAGER, SYNC1, Client, http, sim_state,
                             wait_camera_connected)

import picamsync_testbed as harness

NTP_FAST = {"PICAMSYNC_NTP_CHECK_INTERVAL": "200"}
WORDS = "power saving: NTP synchronised"
QUIET_S = 4  # a window in which nothing periodic may happen while power saving


def status(bed):
    code, body, _ = http(bed, "GET", "/api/timesync/status")
    assert code == 200, body
    return json.loads(body)["status"]


def rest_log(bed):
    code, body, _ = http(bed, "GET", "/api/timesync/log?limit=100")
    assert code == 200, body
    return [e["message"] for e in json.loads(body)["entries"]]


def wait(what, predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def bursts(messages):
    """The checks (bursts) the page was asked for: their ids."""
    return {m["requestId"].split("-")[1] for m in messages if m["type"] == "time-sync-request"}


def webd_pid(bed):
    return bed.daemons["webd"].proc.pid


def test_webd_stops_periodic_checks_while_ntp_synchronised(make_testbed):
    bed = make_testbed(ntp_synced=True, env=NTP_FAST)
    bed.start_webd({"TIME_SYNC_INTERVAL": "1000"})
    pid = webd_pid(bed)
    wait("webd to say power saving", lambda: status(bed)["pi"]["powerSaving"])
    pi = status(bed)["pi"]
    assert pi["powerSavingText"].startswith(WORDS), pi
    assert pi["ntpSynchronized"] is True and pi["reliability"] == "high"
    bus = BusClient(bed.bus.address)
    c = Client(bed)
    try:
        assert bus.get(*SYNC1, "PowerSaving") is True
        welcome = c.welcome()
        assert welcome["status"]["pi"]["powerSaving"] is True
        # Rule 1 still checks a page that connects; rule 8 leaves the clock alone.
        c.wait_for(lambda m: m["type"] == "activity_log" and any(
            "NTP keeps it synchronized" in e["message"] for e in m["data"]["entries"]))
        checked = bursts(c.messages)
        assert len(checked) == 1, checked
        # Rule 4 is off: no periodic check in several intervals (none at all may come).
        quiet = c.messages_for(QUIET_S)
        assert bursts(quiet) - checked == set(), [m["type"] for m in quiet]
        # A sync by hand still works, and changes nothing (rule 8).
        result = c.manual_sync()
        assert result["data"]["success"] is True and result["data"]["stepped"] is False
        assert c.request_status()["data"]["pi"]["powerSaving"] is True

        # NTP is lost: event-driven from clockd's PropertiesChanged, no restart.
        bed.fakeclock.set(ntp_synced=False)
        c.wait_for(lambda m: m["type"] == "time-sync-status" and
                   m["data"]["pi"]["powerSaving"] is False, timeout=30)
        seen = len(c.messages)
        c.wait_for(lambda m: len(bursts(c.messages[seen:] + [m])) >= 2, timeout=60)
        assert status(bed)["pi"]["powerSavingText"] is None
        assert bus.get(*SYNC1, "PowerSaving") is False
        assert webd_pid(bed) == pid and bed.daemons["webd"].alive()
        log = rest_log(bed)
        assert sum(m.startswith("Power saving: NTP synchronised") for m in log) == 1, log
        ended = [m for m in log if m.startswith("Power saving ended")]
        assert ended == ["Power saving ended: NTP no longer synchronises the Pi clock. The "
                         "periodic checks of the pages resume."], log

        # NTP back: power saving again, and the periodic checks stop again.
        bed.fakeclock.set(ntp_synced=True)
        c.wait_for(lambda m: m["type"] == "time-sync-status" and
                   m["data"]["pi"]["powerSaving"] is True, timeout=30)
        # A check that was running when it started ends (answered here); no new one starts.
        known = bursts(c.messages) | bursts(c.messages_for(2))
        assert bursts(c.messages_for(QUIET_S)) - known == set()
    finally:
        c.close()
        bus.close()


def test_no_client_notice_waits_while_ntp_synchronised(make_testbed):
    bed = make_testbed(ntp_synced=True, env=NTP_FAST)
    bed.start_webd({"TIME_SYNC_NO_CLIENT_NOTICE": "2000"})
    wait("webd to say power saving", lambda: status(bed)["pi"]["powerSaving"])
    time.sleep(QUIET_S)  # the notice would come 2 s after webd's start
    log = rest_log(bed)
    # Only a webd slower to read clockd than the notice's 2 s could show it, before.
    start = [i for i, m in enumerate(log) if m.startswith("Power saving: NTP synchronised")]
    assert len(start) == 1, log
    assert not any("No device has been connected" in m for m in log[start[0]:]), log
    bed.fakeclock.set(ntp_synced=False)
    wait("the no-client notice after NTP is lost",
         lambda: any("No device has been connected" in m for m in rest_log(bed)))
    assert any(m.startswith("Power saving ended") for m in rest_log(bed))


def test_camerad_stretches_idle_checks_while_ntp_synchronised(make_testbed):
    bed = make_testbed(ntp_synced=True, env=NTP_FAST)
    sim = bed.start_sim()
    bed.start_camerad({"PICAMSYNC_DISCOVERY": "0",
                       "PICAMSYNC_CAMERA_CHECK_INTERVAL": "1000",
                       "PICAMSYNC_CAMERA_CHECK_INTERVAL_NTP": "3600000",
                       "PICAMSYNC_CAMERA_PROBE_INTERVAL": "300",
                       "PICAMSYNC_CAMERA_PROBE_INTERVAL_NTP": "3600000"})
    camerad = bed.daemons["camerad"]
    wait("camerad to save power", lambda: "Power saving: NTP synchronises" in camerad.log())
    bus = BusClient(bed.bus.address)
    # Added once camerad saves power: its probes and checks are stretched from the start, and
    # AddCamera answers once the camera is connected (nothing of the connection is left).
    path = bus.call(*CAMERA_MANAGER, "AddCamera", "s", (sim["camera"],), timeout_ms=60000)[0]
    assert wait_camera_connected(bed) == path

    def measured():
        return bus.get(CAMERA_MANAGER[0], path, CAMERA_IFACE, "LastMeasuredUSec")

    def probes(state):
        return state["requests"] - state["gets"]

    try:
        before, at = sim_state(sim), measured()
        time.sleep(QUIET_S)  # a 1 s drift check and a 300 ms probe would come several times
        after = sim_state(sim)
        assert measured() == at
        assert after["gets"] == before["gets"], (before, after)
        assert probes(after) == probes(before), (before, after)

        bed.fakeclock.set(ntp_synced=False)
        seen = []

        def two_measurements():
            t = measured()
            if t and t not in seen:
                seen.append(t)
            return len([s for s in seen if s != at]) >= 2

        wait("two drift checks after NTP was lost", two_measurements, timeout=60)
        wait("probes after NTP was lost", lambda: probes(sim_state(sim)) >= probes(before) + 2)
        assert camerad.alive()
        assert re.search(r"Power saving ended \(NTP no longer synchronises the Pi clock\)",
                         camerad.log()), camerad.log()
    finally:
        bus.close()


def test_ctl_status_says_power_saving(make_testbed):
    bed = make_testbed(ntp_synced=True, env=NTP_FAST)
    bed.start_camerad({"PICAMSYNC_DISCOVERY": "0"})
    bed.start_webd()
    ctl = os.path.join(harness.default_builddir(), "ctl", "picamsyncctl")
    env = dict(os.environ, NO_COLOR="1")
    env.pop("PICAMSYNC_BUS_ADDRESS", None)

    def run(*args):
        r = subprocess.run([ctl, "--address", bed.bus.address, *args], capture_output=True,
                           text=True, timeout=120, env=env)
        assert r.returncode == 0, r.stderr
        return r.stdout

    out = run("status")
    assert re.search(r"Power: power saving: NTP synchronised", out), out
    clock = json.loads(run("status", "--json"))["clock"]
    assert clock["powerSaving"] is True and clock["powerSavingText"].startswith(WORDS)
    wait("webd's PowerSaving", lambda: "PowerSaving=yes" in run("show", "-p", "PowerSaving"))
    bed.fakeclock.set(ntp_synced=False)
    wait("clockd to say NTP is lost", lambda: "NTP synchronized: no" in run("status"))
    assert "power saving" not in run("status")
    assert json.loads(run("status", "--json"))["clock"]["powerSavingText"] is None
    wait("webd's PowerSaving off", lambda: "PowerSaving=no" in run("show", "-p", "PowerSaving"))

# SPDX-License-Identifier: LGPL-2.1-or-later
"""picamsyncctl (docs/picamsyncctl.md) against the testbed's daemons on their bus: every command
in text and --json, the exit status (0 done, 1 a daemon's failure, 2 bad usage), and that bad
input changes nothing."""

import json
import os
import re
import signal
import subprocess
import time

import pytest

import picamsync_testbed as harness
from busclient import BusClient
from testbed_clients import Client, sim_set, wait_camera_connected
from test_policy import MEMBER, OTHER, as_user, group_users  # noqa: F401 (a fixture)

CLOCK = ("org.picamsync.Clock1", "/org/picamsync/Clock1", "org.picamsync.Clock1")
SYNC = ("org.picamsync.Sync1", "/org/picamsync/Sync1", "org.picamsync.Sync1")
CAMERA_IFACE = "org.picamsync.Camera1.Camera"


def ctl_path():
    return os.path.join(harness.default_builddir(), "ctl", "picamsyncctl")


def run(bed, *args, env=None, timeout=120, address=True, user="root"):
    """picamsyncctl on the bed's bus, as user: (exit status, stdout, stderr)."""
    e = dict(os.environ)
    e.pop("PICAMSYNC_BUS_ADDRESS", None)
    e["NO_COLOR"] = "1"
    if env:
        e.update(env)
    cmd = [ctl_path()] if user == "root" else as_user(user) + [ctl_path()]
    if address:
        cmd += ["--address", bed.bus.address]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout,
                       env=e)
    return r.returncode, r.stdout, r.stderr


def ok(bed, *args, **kw):
    code, out, err = run(bed, *args, **kw)
    assert code == 0, f"{args}: exit {code}\n{out}\n{err}"
    assert err == "", err
    return out


def fails(bed, code, *args, **kw):
    """The command fails with that status and one line in words on stderr, nothing on stdout."""
    got, out, err = run(bed, *args, **kw)
    assert got == code, f"{args}: exit {got}, wanted {code}\n{out}\n{err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("picamsyncctl: "), err
    # Never a raw D-Bus error name alone.
    assert not re.fullmatch(r"picamsyncctl: [\w.]+\.?", lines[0]), err
    return lines[0]


def props(bed, service, path, iface):
    bus = BusClient(bed.bus.address)
    try:
        return bus.get_all(service, path, iface)
    finally:
        bus.close()


def clock_props(bed):
    return props(bed, *CLOCK)


@pytest.fixture
def bed(make_testbed):
    """clockd, camerad with one simulated camera 4 s ahead, and webd; the Pi in Berlin."""
    b = make_testbed(start=False, zone="Europe/Berlin")
    b.start(camera=True)
    wait_camera_connected(b)
    return b


def camera_id(bed):
    bus = BusClient(bed.bus.address)
    try:
        return bus.get("org.picamsync.Camera1", "/org/picamsync/Camera1",
                       "org.picamsync.Camera1.Manager", "Cameras")[0].rsplit("/", 1)[1]
    finally:
        bus.close()


def trust_pi(bed):
    """The Pi set by hand (trusted), to the host's time: what a user does before syncing."""
    t = time.time() + 0.05  # about when clockd gets the call
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e6):06d}Z"
    ok(bed, "set-time", now)


# --- usage ------------------------------------------------------------------------------------

def test_usage_errors_exit_2_in_words(make_testbed):
    b = make_testbed()
    assert "set-timezone" in ok(b, "--help")
    for verb in ["status", "show", "log", "set-time", "set-timezone", "list-timezones",
                 "sync-camera", "camera", "timelapse", "reports", "ap"]:
        out = ok(b, verb, "--help")
        assert "picamsyncctl" in out, verb
    assert re.match(r"picamsyncctl \d", ok(b, "--version"))
    assert "Unknown command" in fails(b, 2, "frobnicate")
    assert "Unknown option" in fails(b, 2, "--frobnicate")
    assert "Unknown option" in fails(b, 2, "status", "--frobnicate")
    assert "takes no argument" in fails(b, 2, "status", "extra")
    assert "Option --interval needs a value" in fails(b, 2, "timelapse", "start", "--interval")
    assert "Unknown option -x" in fails(b, 2, "log", "-x")
    assert "duration" in fails(b, 2, "--timeout", "soon", "status")
    assert "needs a value" in fails(b, 2, "status", "--address")
    assert "needs a command" in fails(b, 2, "camera")
    assert "Unknown camera command" in fails(b, 2, "camera", "polish")
    assert "Unknown timelapse command" in fails(b, 2, "timelapse", "rewind")
    assert "Unknown reports command" in fails(b, 2, "reports", "burn")


def test_missing_daemons_and_bad_address(make_testbed, tmp_path):
    b = make_testbed(start=False)
    # Nothing owns the names on this bus.
    line = fails(b, 1, "status")
    assert "picamsync-clockd is not running" in line and "systemctl start" in line
    line = fails(b, 1, "--address", f"unix:path={tmp_path}/nothing", "status", address=False)
    assert "Could not connect to the bus" in line
    # PICAMSYNC_BUS_ADDRESS is the same as --address.
    code, out, _ = run(b, "show", "-p", "Timezone", address=False,
                       env={"PICAMSYNC_BUS_ADDRESS": b.bus.address})
    assert code == 1
    b.start_clockd()
    code, out, err = run(b, "status", address=False,
                         env={"PICAMSYNC_BUS_ADDRESS": b.bus.address})
    assert code == 1 and "Local time: " in out, out
    assert "picamsync-camerad is not running" in err


def test_status_with_only_clockd_says_which_daemons_are_missing(make_testbed):
    b = make_testbed(zone="Europe/Berlin")
    code, out, err = run(b, "status")
    assert code == 1
    assert "Time zone: Europe/Berlin (CE" in out
    assert "picamsync-camerad is not running" in err
    assert "picamsync-webd is not running" in err
    code, out, err = run(b, "--json", "status")
    assert code == 1
    doc = json.loads(out)
    assert doc["cameras"] is None and doc["pages"] is None
    assert doc["clock"]["zone"] == "Europe/Berlin"


def test_a_daemon_that_does_not_answer_in_time(bed):
    camerad = bed.daemons["camerad"].proc
    camerad.send_signal(signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        line = fails(bed, 1, "--timeout", "1s", "camera", "list")
        assert time.monotonic() - t0 < 10
        assert "did not answer in time" in line
    finally:
        camerad.send_signal(signal.SIGCONT)
    ok(bed, "camera", "list")


# --- status and show --------------------------------------------------------------------------

def test_status_text_and_json_agree_with_the_bus(bed):
    cam = camera_id(bed)
    out = ok(bed, "status")
    for label in ["Local time", "Universal time", "Time zone", "Reliability",
                  "Trusted until", "NTP synchronized", f"Camera {cam}", "Offset", "Last set",
                  "Drift", "Pages", "Automatic sync"]:
        assert re.search(rf"^ *{re.escape(label)}: ", out, re.M), (label, out)
    assert "Canon EOS R50, connected" in out
    assert "Pages: 0 on the access point, 0 on the LAN" in out
    assert "\x1b[" not in out  # no colour when not on a terminal

    doc = json.loads(ok(bed, "--json", "status"))
    c = clock_props(bed)
    assert doc["clock"]["zone"] == c["Timezone"] == "Europe/Berlin"
    assert doc["clock"]["reliability"] == c["Reliability"]
    assert doc["clock"]["lastSyncSource"] == c["LastSyncSource"]
    assert doc["clock"]["stepCount"] == c["StepCount"]
    assert doc["clock"]["ntpSynchronized"] is False
    assert [x["id"] for x in doc["cameras"]] == [cam]
    camera = doc["cameras"][0]
    p = props(bed, "org.picamsync.Camera1", f"/org/picamsync/Camera1/camera/{cam}", CAMERA_IFACE)
    assert camera["model"] == p["Model"] and camera["url"] == p["Url"]
    assert camera["connected"] is True
    assert camera["offsetBoundUSec"] == p["OffsetUncertaintyUSec"]
    assert camera["driftPpm"] is None and camera["timelapse"] is None
    assert doc["pages"] == {"accessPoint": 0, "lan": 0, "autoSync": True,
                            "lastClientSyncUSec": 0,
                            "lastCameraSyncUSec": doc["pages"]["lastCameraSyncUSec"]}


def test_status_counts_an_open_page(bed):
    page = Client(bed, zone="Europe/Berlin")
    try:
        page.welcome()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            doc = json.loads(ok(bed, "--json", "status"))
            if doc["pages"]["accessPoint"] == 1:
                break
            page.messages_for(0.1)
        assert doc["pages"]["accessPoint"] == 1
        assert "Pages: 1 on the access point, 0 on the LAN" in ok(bed, "status")
    finally:
        page.close()


def test_show_lists_properties_like_timedatectl_show(bed):
    out = ok(bed, "show")
    lines = dict(line.split("=", 1) for line in out.splitlines())
    c = clock_props(bed)
    s = props(bed, *SYNC)
    for name in c:
        if name != "TimeUSec":
            want = c[name]
            want = ("yes" if want else "no") if isinstance(want, bool) else str(want)
            # A double that is not known (NaN: DriftPPM before 3 syncs) is shown empty.
            want = "" if want == "nan" else want
            assert lines[name] == want, name
    for name in s:
        assert name in lines, name
    assert ok(bed, "show", "--property=Timezone") == "Timezone=Europe/Berlin\n"
    assert ok(bed, "show", "-p", "Timezone", "-p", "ClientsAp") == \
        "Timezone=Europe/Berlin\nClientsAp=0\n"
    assert ok(bed, "show", "-p", "Timezone,AutoSync", "--value") == "Europe/Berlin\nyes\n"
    assert json.loads(ok(bed, "--json", "show", "-p", "Reliable")) == {"Reliable": False}
    assert "no property" in fails(bed, 2, "show", "-p", "Bogus")
    cam = camera_id(bed)
    assert ok(bed, "show", cam, "-p", "Model") == "Model=EOS R50\n"
    assert "no camera" in fails(bed, 2, "show", "nosuchcamera")


# --- time -------------------------------------------------------------------------------------

def test_set_time_with_offset_local_and_zone(bed):
    out = ok(bed, "set-time", "2030-07-01T14:30:00+02:00")
    assert out.startswith("Pi clock set to Mon 2030-07-01 14:30:00 CEST by hand"), out
    c = clock_props(bed)
    assert c["LastSyncSource"] == "manual" and c["Reliability"] == "high"
    assert abs(c["TimeUSec"] - 1909139400_000000) < 5_000_000
    # Without an offset: the Pi's local time (Berlin, summer time on 1 July).
    ok(bed, "set-time", "2030-07-01 16:00")
    assert abs(clock_props(bed)["TimeUSec"] - 1909144800_000000) < 5_000_000
    # --zone sets the zone too and reads the time in it.
    doc = json.loads(ok(bed, "--json", "set-time", "2030-01-15T08:00:00", "--zone",
                        "America/New_York"))
    assert doc["zone"] == "America/New_York"
    assert doc["timeUSec"] == 1894712400_000000  # 13:00 UTC
    assert clock_props(bed)["Timezone"] == "America/New_York"


def test_bad_times_and_zones_change_nothing(bed):
    before = clock_props(bed)
    assert "is not a time" in fails(bed, 2, "set-time", "tomorrow")
    assert "is not a time" in fails(bed, 2, "set-time", "2030-02-30T00:00:00Z")
    assert "is not a time" in fails(bed, 2, "set-time", "2030-01-01T25:00:00Z")
    assert "needs one TIME" in fails(bed, 2, "set-time")
    assert "outside 2024-01-01 to 2099-12-31" in fails(bed, 2, "set-time", "2023-06-01T00:00Z")
    assert "no time zone" in fails(bed, 2, "set-time", "2030-01-01T00:00Z", "--zone", "Mars/Base")
    assert "no time zone" in fails(bed, 2, "set-timezone", "Mars/Base")
    assert "not a time-zone name" in fails(bed, 2, "set-timezone", "../etc/passwd")
    assert "leap seconds" in fails(bed, 2, "set-timezone", "right/Europe/Berlin")
    assert "needs one ZONE" in fails(bed, 2, "set-timezone")
    after = clock_props(bed)
    for name in ["Timezone", "StepCount", "LastSyncUSec", "LastSyncSource"]:
        assert after[name] == before[name], name


def test_set_timezone_and_list_timezones(bed):
    assert ok(bed, "set-timezone", "Asia/Tokyo") == "Time zone set to Asia/Tokyo (JST, +0900).\n"
    assert clock_props(bed)["Timezone"] == "Asia/Tokyo"
    assert json.loads(ok(bed, "--json", "set-timezone", "UTC")) == {"zone": "UTC"}
    zones = ok(bed, "list-timezones").split()
    assert "Europe/Berlin" in zones and "UTC" in zones and "America/New_York" in zones
    assert zones == sorted(zones) and len(zones) > 300
    assert not [z for z in zones if z.startswith(("right/", "posix/"))]
    assert json.loads(ok(bed, "--json", "list-timezones")) == zones


def test_log_shows_and_follows_the_activity_log(bed):
    follower = subprocess.Popen([ctl_path(), "--address", bed.bus.address, "log", "-f", "-n",
                                 "0"], stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "NO_COLOR": "1"})
    try:
        page = Client(bed, zone="Europe/Berlin")
        page.welcome()
        page.wait_for(lambda m: m["type"] == "event" and m.get("eventType") == "pi-sync")
        page.close()
        line = follower.stdout.readline()
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ sync +Pi clock", line), line
    finally:
        follower.send_signal(signal.SIGTERM)
        follower.wait(10)
    out = ok(bed, "log", "-n", "1")
    assert len(out.splitlines()) == 1
    entries = json.loads(ok(bed, "--json", "log"))
    assert entries and {"usec", "time", "type", "message", "success", "details"} <= \
        set(entries[-1])
    assert "not a number" in fails(bed, 2, "log", "-n", "many")



def test_steps_by_others_reach_the_activity_log(make_testbed):
    """The Log lists every step (README.md): one set by hand with picamsyncctl and one by another
    program (the fake clock moved, as date -s would) each get an entry in webd's activity log in
    words; a page's own step gets its one entry, not a second one from its TimeStepped."""
    def entries():
        return json.loads(ok(bed, "--json", "log"))

    def wait_entry(pred, what):
        harness.wait_until(lambda: any(pred(e) for e in entries()), 20, what)
        return next(e for e in entries() if pred(e))

    bed = make_testbed(start=False, zone="Europe/Berlin", pi_offset_ms=-600_000)
    bed.start(camera=False)
    page = Client(bed, zone="Europe/Berlin")
    page.wait_pi_sync(timeout=60)
    page.settle_refine()
    page.close()
    t = time.time() + 90
    ok(bed, "set-time", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)))
    by_hand = wait_entry(lambda e: "outside the web page" in e["message"], "the set by hand")
    assert by_hand["type"] == "manual" and by_hand["success"], by_hand
    assert re.fullmatch(r"Pi clock set by hand outside the web page \(picamsyncctl set-time or a "
                        r"bus call\): it moved \d+\.\d{3} s ahead\.", by_hand["message"]), by_hand
    assert by_hand["details"]["source"] == "manual"

    bed.fakeclock.set(offset_ms=bed.fakeclock.offset_ns() / 1e6 - 30_000)
    bus = BusClient(bed.bus.address)
    try:
        bus.call(*CLOCK, "GetTime")  # clockd notices the jump at its next read at the latest
    finally:
        bus.close()
    other = wait_entry(lambda e: "by another program" in e["message"], "the step by another")
    assert other["type"] == "sync" and other["details"]["source"] == "external", other
    assert re.fullmatch(r"The Pi clock was stepped \d+\.\d{3} s back by another program, not by "
                        r"picamsync \(clockd noticed the jump\)\.", other["message"]), other
    # The page's own step is there once, and no step is put down to another bus client.
    log = entries()
    assert sum(1 for e in log if e["message"].startswith("Pi clock set from")) == 1, log
    assert not [e for e in log if "another bus client" in e["message"]], log


# --- camera -----------------------------------------------------------------------------------

def test_sync_camera_needs_a_trusted_pi_then_sets_once(bed):
    sim = bed.sims[0]
    line = fails(bed, 1, "sync-camera")
    assert "not trusted" in line and "--force" in line
    trust_pi(bed)
    # webd sets the camera once the Pi is trusted; then the camera is put 4 s off again.
    path = f"/org/picamsync/Camera1/camera/{camera_id(bed)}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and \
            not props(bed, "org.picamsync.Camera1", path, CAMERA_IFACE)["LastSyncUSec"]:
        time.sleep(0.2)
    sim_set(sim, offsetMs=4000)
    doc = json.loads(ok(bed, "--json", "sync-camera"))
    assert doc["set"] is True and doc["zone"] == "Europe/Berlin"
    assert abs(doc["offsetBeforeUSec"] - 4_000_000) < 200_000
    assert abs(doc["offsetAfterUSec"]) < 100_000
    out = ok(bed, "sync-camera")
    assert "not set (--force sets it anyway)" in out
    out = ok(bed, "sync-camera", "--force", camera_id(bed))
    assert "set to the Pi's time in Europe/Berlin" in out
    assert "no camera" in fails(bed, 2, "sync-camera", "nosuchcamera")



def test_sync_camera_decides_with_webds_threshold(make_testbed):
    """sync-camera leaves a camera alone within webd's TIME_SYNC_THRESHOLD (Sync1's
    SyncThresholdUSec), here 10 s, and sets it beyond; without webd, within 1 s."""
    bed = make_testbed(start=False, zone="Europe/Berlin")
    bed.start(camera=True, web=False)
    wait_camera_connected(bed)
    sim = bed.sims[0]
    trust_pi(bed)
    sim_set(sim, offsetMs=4000)
    doc = json.loads(ok(bed, "--json", "sync-camera"))  # no webd: the default 1 s
    assert doc["set"] is True, doc
    bed.start_webd(env={"TIME_SYNC_THRESHOLD": "10000"})
    assert props(bed, *SYNC)["SyncThresholdUSec"] == 10_000_000
    sim_set(sim, offsetMs=4000)
    doc = json.loads(ok(bed, "--json", "sync-camera"))
    assert doc["set"] is False and abs(doc["offsetBeforeUSec"] - 4_000_000) < 200_000, doc
    sim_set(sim, offsetMs=12000)
    doc = json.loads(ok(bed, "--json", "sync-camera"))
    assert doc["set"] is True and abs(doc["offsetAfterUSec"]) < 100_000, doc

def test_camera_commands(bed):
    cam = camera_id(bed)
    url = bed.sims[0]["camera"]
    out = ok(bed, "camera", "list")
    assert out.splitlines()[0].split()[:3] == ["ID", "MODEL", "CONNECTED"]
    assert re.search(rf"^{cam} +EOS R50 +yes ", out, re.M)
    assert ok(bed, "--no-legend", "camera", "list").split()[0] == cam
    listed = json.loads(ok(bed, "--json", "camera", "list"))
    assert [c["id"] for c in listed] == [cam]

    out = ok(bed, "camera", "measure")
    assert re.match(rf"Camera EOS R50 \({cam}\) is \d+\.\d{{3}} s ± \d+\.\d{{3}} s ", out)
    doc = json.loads(ok(bed, "--json", "camera", "measure", cam))
    assert doc["id"] == cam and doc["offsetBoundUSec"] > 0

    doc = json.loads(ok(bed, "--json", "camera", "set", "Asia/Tokyo"))
    assert doc["zone"] == "Asia/Tokyo" and abs(doc["offsetAfterUSec"]) < 100_000
    cp = props(bed, "org.picamsync.Camera1", f"/org/picamsync/Camera1/camera/{cam}",
               CAMERA_IFACE)
    assert cp["UtcOffsetMinutes"] == 540
    assert "neither a camera nor a time zone" in fails(bed, 2, "camera", "set", "Nowhere/X")

    csv = ok(bed, "camera", "drift", "--csv").splitlines()
    assert csv[0] == "measured_usec,offset_usec,bound_usec" and len(csv) >= 4
    doc = json.loads(ok(bed, "--json", "camera", "drift"))
    assert len(doc["history"]) == len(csv) - 1 and doc["driftPpm"] is None
    assert "drift is not known yet" in ok(bed, "camera", "drift")

    assert "Forgot camera" in ok(bed, "camera", "forget", cam)
    assert json.loads(ok(bed, "--json", "camera", "list")) == []
    line = fails(bed, 1, "camera", "measure")
    assert "knows no camera" in line
    doc = json.loads(ok(bed, "--json", "camera", "add", url))
    assert doc["id"] == cam and doc["url"] == url
    assert "is not a camera address" in fails(bed, 2, "camera", "add", "ftp://x")
    assert "no camera" in fails(bed, 2, "camera", "forget", "nosuchcamera")


def test_camera_failure_is_reported_in_the_cameras_words(bed):
    sim_set(bed.sims[0], fault="busy")
    line = fails(bed, 1, "camera", "measure")
    assert "busy" in line and "Device busy" in line


# --- timelapse and reports --------------------------------------------------------------------

def test_timelapse_and_reports(bed):
    cam = camera_id(bed)
    assert "needs --interval" in fails(bed, 2, "timelapse", "start")
    assert "not an interval" in fails(bed, 2, "timelapse", "start", "--interval", "100ms")
    assert "not an interval" in fails(bed, 2, "timelapse", "start", "--interval", "2d")
    assert "not both" in fails(bed, 2, "timelapse", "start", "--interval", "1s", "--shots",
                               "3", "--until", "2030-01-01 00:00")
    assert "not a location" in fails(bed, 2, "timelapse", "start", "--interval", "1s",
                                     "--location", "91,0")
    assert "No timelapse is running" in fails(bed, 1, "timelapse", "stop")
    assert ok(bed, "timelapse", "status") == "No timelapse is running.\n"

    doc = json.loads(ok(bed, "--json", "timelapse", "start", "--interval", "1s", "--shots", "3",
                        "--title", "Moonrise", "--location", "48.137,11.575"))
    tid = doc["id"]
    assert doc["camera"] == cam and tid.endswith(cam)
    running = json.loads(ok(bed, "--json", "timelapse", "status"))
    assert [t["id"] for t in running] == [tid] or running == []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and json.loads(ok(bed, "--json", "timelapse", "status")):
        time.sleep(0.2)
    assert json.loads(ok(bed, "--json", "timelapse", "status")) == []

    listed = json.loads(ok(bed, "--json", "reports", "list"))
    assert [r["id"] for r in listed] == [tid]
    assert listed[0]["taken"] == 3 and listed[0]["failed"] == 0
    assert listed[0]["title"] == "Moonrise"
    out = ok(bed, "reports", "list")
    assert re.search(rf"^{tid} .* 3 +0  Moonrise$", out, re.M), out
    out = ok(bed, "reports", "show", tid)
    assert re.search(r"^ +State: completed$", out, re.M)
    assert re.search(r"^ +Frames: 3 taken, 0 failed, of 3 planned$", out, re.M)
    assert "48.137000, 11.575000 (manual)" in out
    assert re.search(r"^ +Frame times: 3 recorded ", out, re.M)
    assert re.search(r"^ +Camera at the end: [+-]\d+\.\d{3} s ± ", out, re.M)
    report = json.loads(ok(bed, "reports", "export", tid))
    assert report["id"] == tid and report["location"]["latitude"] == 48.137
    # The export is one document with every frame, as webd's download.
    assert report["frames"]["count"] == 3
    assert [f["index"] for f in report["frames"]["records"]] == [0, 1, 2]
    shown = json.loads(ok(bed, "--json", "reports", "show", tid))
    assert shown["frames"] == {"file": f"{tid}.frames", "count": 3}
    del shown["frames"], report["frames"]
    assert shown == report
    html = ok(bed, "reports", "export", tid, "--format", "html")
    assert html.startswith("<!DOCTYPE html>") and "Moonrise" in html
    assert "not a format" in fails(bed, 2, "reports", "export", tid, "--format", "pdf")
    assert "not a report id" in fails(bed, 2, "reports", "show", "../x")
    assert "no report" in fails(bed, 2, "reports", "show", "20300101T000000Z-x").lower()

    out = ok(bed, "timelapse", "start", "--interval", "2s", "--until", "2099-01-01 00:00")
    assert "started on camera" in out
    assert "stops after the frame in flight" in ok(bed, "timelapse", "stop", cam)


def test_colours_only_on_a_terminal(bed):
    """On a terminal (script(1) gives one) the reliability is coloured; NO_COLOR and a pipe
    turn that off."""
    cmd = f"{ctl_path()} --address {bed.bus.address} status"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stdout
    assert re.search(r"Reliability: \x1b\[0;1;3[123]m(high|medium|low|none)\x1b\[0m", r.stdout)
    env["NO_COLOR"] = "1"
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0 and "\x1b[" not in r.stdout, r.stdout


# --- who may do what -------------------------------------------------------------------------

def test_reading_for_everyone_changing_for_root_and_the_group(bed, group_users):
    """A member of picamsync and a non-member, through the real bus policy and the daemons'
    own checks."""
    cam = camera_id(bed)
    reads = [["status"], ["show"], ["log"], ["list-timezones"], ["camera", "list"],
             ["camera", "drift", cam], ["timelapse", "status"], ["reports", "list"]]
    for user in [OTHER, MEMBER, "nobody"]:
        for args in reads:
            code, out, err = run(bed, *args, user=user)
            assert code == 0, f"{user} {args}: {err}"
    before = clock_props(bed)
    for args, what in [(["set-timezone", "Asia/Tokyo"], "set the time zone"),
                       (["set-time", "2030-01-01T00:00:00Z"], "set the time"),
                       (["camera", "measure"], "measure camera"),
                       (["timelapse", "start", "--interval", "5s"], "start the timelapse"),
                       (["camera", "forget", cam], "forget the camera")]:
        code, out, err = run(bed, *args, user=OTHER)
        assert code == 1, f"{args}: {out} {err}"
        assert err.startswith(f"picamsyncctl: Could not {what}") or \
            err.startswith(f"picamsyncctl: Could not {what.split()[0]}"), err
        assert "picamsync group" in err, err
    after = clock_props(bed)
    for name in ["Timezone", "StepCount", "LastSyncUSec"]:
        assert after[name] == before[name], name
    assert json.loads(ok(bed, "--json", "camera", "list"))[0]["id"] == cam
    assert json.loads(ok(bed, "--json", "timelapse", "status")) == []

    code, out, err = run(bed, "set-timezone", "Asia/Tokyo", user=MEMBER)
    assert code == 0, err
    assert clock_props(bed)["Timezone"] == "Asia/Tokyo"
    code, out, err = run(bed, "--json", "camera", "measure", user=MEMBER)
    assert code == 0, err

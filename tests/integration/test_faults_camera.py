# SPDX-License-Identifier: LGPL-2.1-or-later
"""Faults around camerad, its state directory and the camera (issue 16, part 2): camerad killed
inside a set and inside a frame, the state directory full or read-only, and a camera that never
answers or answers garbage, truncated JSON or 10 MiB. Each test states its outcome and asserts
it; docs/org.picamsync.Camera1.md, "Faults", lists them."""

import glob
import json
import os
import signal
import threading

import pytest
from gi.repository import GLib

from busclient import BusCallError, BusClient
from picamsync_testbed import wait_until
from testbed_clients import sim_set, sim_state

NAME = "org.picamsync.Camera1"
MANAGER = ("/org/picamsync/Camera1", "org.picamsync.Camera1.Manager")
CAMERA_IFACE = "org.picamsync.Camera1.Camera"
UNREACHABLE = "org.picamsync.Error.CameraUnreachable"
PROTOCOL = "org.picamsync.Error.CameraProtocol"
MiB = 1024 * 1024


class Bed:
    """clockd, a camera simulator and camerad (state_tmpfs: see Testbed.start_camerad)."""

    def __init__(self, make_testbed, state_tmpfs=None, env=None):
        self.bed = make_testbed()
        self.sim = self.bed.start_sim()
        self.start_camerad(state_tmpfs, env)

    def start_camerad(self, state_tmpfs=None, env=None):
        self.bed.start_camerad(env, state_tmpfs=state_tmpfs)
        self.client = BusClient(self.bed.bus.address)
        self.path = self.manager("AddCamera", "s", self.sim["camera"])[0]

    def kill_camerad(self):
        killed = self.bed.daemons.pop("camerad")  # its -9 exit is this test's doing
        os.kill(killed.proc.pid, signal.SIGKILL)
        killed.proc.wait(10)
        killed._log.close()

    def manager(self, method, signature=None, *args):
        return self.client.call(NAME, MANAGER[0], MANAGER[1], method, signature, args,
                                timeout_ms=60000)

    def call(self, method, signature=None, *args):
        return self.client.call(NAME, self.path, CAMERA_IFACE, method, signature, args,
                                timeout_ms=60000)

    def prop(self, name):
        return self.client.get(NAME, self.path, CAMERA_IFACE, name)

    def manager_prop(self, name):
        return self.client.get(NAME, MANAGER[0], MANAGER[1], name)

    def start(self, interval_ms=1000, shots=0):
        options = {"interval_ms": GLib.Variant("u", interval_ms)}
        if shots:
            options["shots"] = GLib.Variant("u", shots)
        return self.call("StartTimelapse", "a{sv}", options)[0]

    def state(self, *parts):
        return self.bed.camerad_state_path(*parts)

    def log(self):
        return self.bed.daemons["camerad"].log()

    def requests(self, method):
        return [r for r in sim_state(self.sim)["requestLog"] if r["method"] == method]


def history_lines(path):
    """The drift history file's lines, each parsed: json.loads raises on a half-written one."""
    with open(path) as f:
        text = f.read()
    assert text == "" or text.endswith("\n"), "the history ends in a torn line"
    return [json.loads(line) for line in text.splitlines()]


def frame_lines(path):
    """The frames file's whole lines, parsed; a torn last line (no newline) is left out."""
    with open(path) as f:
        text = f.read()
    return [json.loads(line) for line in text.split("\n")[:-1]]


def report(path):
    with open(path) as f:
        return json.load(f)  # valid JSON, or it raises


def test_kill_inside_a_set_leaves_the_history_whole(make_testbed):
    """camerad is killed (SIGKILL) while the camera holds its PUT of the time unanswered, i.e.
    inside SetTime. Outcome: the drift history file holds exactly the lines from before, each
    whole; a new camerad reads it back (GetDriftHistory as before, LastSyncUSec still 0; a torn
    last line, added by hand, is skipped) and sets the camera: the file is then rewritten
    without the torn line, with the new measurement, set and measurement as whole lines."""
    t = Bed(make_testbed)
    t.call("MeasureOffset")
    (history,) = glob.glob(os.path.join(t.bed.workdir, "camerad-state", "*.history"))

    sim_set(t.sim, fault="hang", faultMethod="PUT")
    errors = []

    def set_time():
        client = BusClient(t.bed.bus.address)
        try:
            client.call(NAME, t.path, CAMERA_IFACE, "SetTime", "s", ("UTC",), timeout_ms=60000)
        except BusCallError as e:
            errors.append(e)

    caller = threading.Thread(target=set_time)
    caller.start()
    wait_until(lambda: t.requests("PUT"), 30, "the PUT of the time to reach the camera")
    # SetTime measured before its PUT: the history has that measurement, and no set.
    before = history_lines(history)
    samples = t.call("GetDriftHistory")[0]
    assert [e["kind"] for e in before] == ["measurement"] * 2 and len(samples) == 2
    t.kill_camerad()
    caller.join(30)
    assert errors and errors[0].name == "org.freedesktop.DBus.Error.NoReply", errors

    assert history_lines(history) == before
    # What a power cut inside an append would leave (no SIGKILL lands inside one write()).
    with open(history, "a") as f:
        f.write('{"kind":"measurement","at":17')
    sim_set(t.sim, fault="none", faultMethod=None)
    t.start_camerad()
    assert t.call("GetDriftHistory")[0] == samples
    assert t.prop("LastSyncUSec") == 0
    t.call("SetTime", "s", "UTC")
    after = history_lines(history)  # rewritten without the torn line: every line whole
    assert after[:len(before)] == before
    assert [e["kind"] for e in after[len(before):]] == ["measurement", "set", "measurement"]


def test_kill_inside_a_frame_leaves_report_frames_and_history_whole(make_testbed):
    """camerad is killed while the camera holds a shutter request of a running timelapse
    unanswered. Outcome: the report is valid JSON ("running"), the frames file holds whole
    records only, the drift history is whole; a new camerad marks the report "interrupted",
    and GetFrames ignores a torn last line (one a power cut during its write leaves, added here
    by hand: no SIGKILL can be aimed inside one write())."""
    t = Bed(make_testbed)
    t.call("MeasureOffset")
    tl_id = t.start(interval_ms=1000)
    reports = os.path.join(t.bed.workdir, "camerad-state", "reports")
    frames_file = os.path.join(reports, tl_id + ".frames")
    wait_until(lambda: os.path.exists(frames_file) and len(frame_lines(frames_file)) >= 2, 20,
               "two frames on disk")
    sim_set(t.sim, fault="hang", faultMethod="POST")
    shots = len(t.requests("POST"))  # after the change: every later one is held
    wait_until(lambda: len(t.requests("POST")) > shots, 20, "a shutter request held")
    t.kill_camerad()

    rep = report(os.path.join(reports, tl_id + ".json"))
    assert rep["state"] == "running"
    frames = frame_lines(frames_file)
    assert [f["index"] for f in frames] == list(range(len(frames)))
    # A frame's line is written just before the report that counts it.
    assert rep["shots"]["taken"] + rep["shots"]["failed"] in (len(frames), len(frames) - 1)
    (history,) = glob.glob(os.path.join(t.bed.workdir, "camerad-state", "*.history"))
    kept = history_lines(history)
    with open(frames_file, "a") as f:
        f.write('{"index":%d,"ok":tr' % len(frames))

    sim_set(t.sim, fault="none", faultMethod=None)
    t.start_camerad()
    after = json.loads(t.manager("GetReport", "s", tl_id)[0])
    assert after["state"] == "interrupted" and after["shots"] == rep["shots"]
    total, text = t.manager("GetFrames", "suu", tl_id, 0, 1000)
    assert total == len(frames) and json.loads(text) == frames
    assert history_lines(history) == kept


def test_full_state_directory_during_a_timelapse(make_testbed):
    """The state directory (a 1 MiB tmpfs) fills up while a timelapse runs. Outcome: camerad
    says so once in its log, in words; the timelapse goes on shooting; the report file stays
    the last one written, valid JSON, and its frames file whole lines; GetReport answers from
    memory. When space is back the report is written again (said in the log) and the frames
    file gets every frame, in order, none twice."""
    t = Bed(make_testbed, state_tmpfs="size=1m")
    tl_id = t.start(interval_ms=500)
    rep_path = t.state("reports", tl_id + ".json")
    frames_path = t.state("reports", tl_id + ".frames")
    wait_until(lambda: os.path.exists(rep_path) and report(rep_path)["shots"]["taken"] >= 2, 20,
               "two frames in the report on disk")

    filler = t.state("filler")

    def fill():
        """Takes every free page; True once camerad has said a write failed. A report
        replaced just before frees a page: it is taken at the next try."""
        with open(filler, "ab", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError as e:
                assert e.errno == 28, e  # ENOSPC
        return "could not be written" in t.log()

    wait_until(fill, 20, "the warning")
    assert "No space left on device" in t.log()
    # The bus says it too (Manager.StateProblem), for webd to tell the pages.
    problem = wait_until(lambda: t.manager_prop("StateProblem"), 10, "StateProblem")
    assert problem.startswith("Timelapse reports cannot be written to ") and \
        "No space left on device" in problem, problem
    stale = report(rep_path)
    taken = t.prop("ShotsTaken")
    wait_until(lambda: t.prop("ShotsTaken") >= taken + 3, 20, "three more shots")
    assert report(rep_path) == stale
    frame_lines(frames_path)  # whole records, or it raises
    live = json.loads(t.manager("GetReport", "s", tl_id)[0])
    assert live["shots"]["taken"] > stale["shots"]["taken"]
    assert t.log().count("could not be written") == 1

    os.unlink(filler)
    back = t.prop("ShotsTaken")
    wait_until(lambda: report(rep_path)["shots"]["taken"] > back, 20, "the report written again")
    assert "is written again" in t.log()
    wait_until(lambda: t.manager_prop("StateProblem") == "", 10, "StateProblem cleared")
    t.call("StopTimelapse")
    wait_until(lambda: t.prop("TimelapseState") == "idle", 20, "the timelapse to end")
    wait_until(lambda: report(rep_path)["state"] == "stopped", 10, "the last report")
    final = report(rep_path)
    frames = frame_lines(frames_path)
    assert [f["index"] for f in frames] == list(range(len(frames)))
    assert len(frames) == final["shots"]["taken"] + final["shots"]["failed"]


def test_read_only_state_directory_at_start_and_during_a_run(make_testbed):
    """The state directory is read-only when camerad starts, then writable, then read-only
    during a timelapse, then writable again. Outcome: camerad says at the start, in words, that
    it cannot write it and keeps the drift history and reports in memory (MeasureOffset,
    GetDriftHistory, a timelapse, GetReport and ListReports all work); made read-only during a
    run, it says so once, the timelapse goes on, the report on disk stays valid, and once the
    directory is writable again the report and every frame reach it, the first timelapse's
    too (written once more when the next starts)."""
    t = Bed(make_testbed, state_tmpfs="size=1m,ro")
    wait_until(lambda: "cannot be written (Read-only file system)" in t.log(), 10,
               "the words at the start")
    assert "cannot be written (Read-only file system)" in t.manager_prop("StateProblem")
    t.call("MeasureOffset")
    assert len(t.call("GetDriftHistory")[0]) == 1
    assert "Could not keep the drift history" in t.log()
    first = t.start(interval_ms=500, shots=3)
    wait_until(lambda: t.prop("TimelapseState") == "idle", 20, "the timelapse to end")
    rep = json.loads(t.manager("GetReport", "s", first)[0])
    assert rep["state"] == "completed" and rep["shots"]["taken"] == 3
    assert [r[0] for r in t.manager("ListReports")[0]] == [first]
    assert not os.path.exists(t.state("reports", first + ".json"))

    t.bed.remount_camerad_state("rw")
    second = t.start(interval_ms=500)
    # The first one, kept in memory, is written once more as the next starts.
    wait_until(lambda: os.path.exists(t.state("reports", first + ".json")), 10,
               "the first report on disk")
    assert report(t.state("reports", first + ".json")) == rep
    assert [f["index"] for f in frame_lines(t.state("reports", first + ".frames"))] == [0, 1, 2]
    # The reports are written; the drift history is written at its next measurement.
    wait_until(lambda: t.manager_prop("StateProblem").startswith("Could not keep the drift "
                                                                 "history"), 10,
               "only the drift history's words")
    rep_path = t.state("reports", second + ".json")
    frames_path = t.state("reports", second + ".frames")
    wait_until(lambda: os.path.exists(rep_path) and report(rep_path)["shots"]["taken"] >= 2, 20,
               "two frames on disk")
    warnings = t.log().count("could not be written")
    t.bed.remount_camerad_state("ro")
    wait_until(lambda: t.log().count("could not be written") > warnings, 20, "the warning")
    taken = t.prop("ShotsTaken")
    wait_until(lambda: t.prop("ShotsTaken") >= taken + 3, 20, "three more shots")
    assert report(rep_path)["state"] == "running"
    t.bed.remount_camerad_state("rw")
    t.call("StopTimelapse")
    wait_until(lambda: t.prop("TimelapseState") == "idle", 20, "the timelapse to end")
    wait_until(lambda: report(rep_path)["state"] == "stopped", 10, "the last report")
    final = report(rep_path)
    frames = frame_lines(frames_path)
    assert [f["index"] for f in frames] == list(range(len(frames)))
    assert len(frames) == final["shots"]["taken"] + final["shots"]["failed"]

    t.call("MeasureOffset")
    wait_until(lambda: t.manager_prop("StateProblem") == "", 10, "StateProblem cleared")


def test_pages_are_told_when_the_state_directory_cannot_be_written(make_testbed):
    """The state directory turns read-only while a page is open. Outcome: the page gets a
    warning in camerad's words and webd's log keeps it (not only camerad's journal); when the
    directory can be written again, the log says so."""
    from testbed_clients import Client
    bed = make_testbed(start=False)
    bed.start_clockd()
    sim = bed.start_sim()
    bed.start_camerad({"PICAMSYNC_CAMERA_URLS": sim["camera"]}, state_tmpfs="size=1m")
    bed.start_webd()
    bus = BusClient(bed.bus.address)
    page = Client(bed)
    try:
        page.welcome()
        cam = wait_until(lambda: (bus.get(NAME, MANAGER[0], MANAGER[1], "Cameras") or [None])[0], 30,
                         "the camera")
        bed.remount_camerad_state("ro")
        bus.call(NAME, cam, CAMERA_IFACE, "MeasureOffset", timeout_ms=60000)  # writes history
        w = page.wait_for(lambda m: m["type"] == "warning" and
                          "drift history" in m["data"]["message"])
        assert w["data"]["message"].startswith("Could not keep the drift history in "), w
        assert "Read-only file system" in w["data"]["message"], w

        bed.remount_camerad_state("rw")
        bus.call(NAME, cam, CAMERA_IFACE, "MeasureOffset", timeout_ms=60000)
        wait_until(lambda: bus.get(NAME, MANAGER[0], MANAGER[1], "StateProblem") == "", 10,
                   "StateProblem cleared")
        log = json.loads(bed_log(bed))
        messages = [e["message"] for e in log]
        assert any(m.startswith("Could not keep the drift history") for m in messages), messages
        wait_until(lambda: any("can write its state directory again" in e["message"]
                               for e in json.loads(bed_log(bed))), 10, "the words once it can")
    finally:
        page.close()
        bus.close()


def bed_log(bed):
    """webd's activity log (GET /api/timesync/log) as JSON text."""
    from testbed_clients import http
    status, body, _ = http(bed, "GET", "/api/timesync/log")
    assert status == 200, body
    return json.dumps(json.loads(body)["entries"])

def test_camera_that_never_answers(make_testbed):
    """The camera accepts the connection and never answers: a measurement, a set (its PUT),
    a timelapse frame (its shutter request). Outcome: each fails after the 5 s request timeout
    with words that say so; nothing is half done: no measurement or set enters the history,
    LastSyncUSec stays 0, the set says the camera may have taken the time; the timelapse goes
    on and shoots again once the camera answers."""
    # A camera that did not answer counts as gone until a probe finds it: probe often.
    t = Bed(make_testbed, env={"PICAMSYNC_CAMERA_PROBE_INTERVAL": "300"})
    t.call("MeasureOffset")
    samples = t.call("GetDriftHistory")[0]

    sim_set(t.sim, fault="hang", faultMethod="GET")
    with pytest.raises(BusCallError) as e:
        t.call("MeasureOffset")
    assert e.value.name == UNREACHABLE and "did not answer within 5 s" in e.value.message
    sim_set(t.sim, fault="hang", faultMethod="PUT")
    with pytest.raises(BusCallError) as e:
        t.call("SetTime", "s", "UTC")
    assert e.value.name == UNREACHABLE and "did not answer within 5 s" in e.value.message
    assert "Whether it took the new time is not known" in e.value.message
    assert t.call("GetDriftHistory")[0][:1] == samples and t.prop("LastSyncUSec") == 0
    assert sim_state(t.sim)["puts"] == 0

    sim_set(t.sim, fault="none", faultMethod=None)
    wait_until(lambda: t.prop("Connected"), 20, "the camera to be found again")
    tl_id = t.start(interval_ms=1000)
    wait_until(lambda: t.prop("ShotsTaken") >= 1, 20, "a shot")
    sim_set(t.sim, fault="hang", faultMethod="POST")
    wait_until(lambda: t.prop("ShotsFailed") >= 1, 30, "a frame to fail")
    sim_set(t.sim, fault="none", faultMethod=None)
    taken = t.prop("ShotsTaken")
    wait_until(lambda: t.prop("ShotsTaken") > taken, 30, "a shot again")
    t.call("StopTimelapse")
    wait_until(lambda: t.prop("TimelapseState") == "idle", 30, "the timelapse to end")
    errors = json.loads(t.manager("GetReport", "s", tl_id)[0])["shots"]["errors"]
    assert any("did not answer within 5 s" in e["error"] for e in errors), errors


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_camera_that_answers_garbage_truncated_or_huge(make_testbed):
    """The camera answers 200 with something that is not JSON, with its JSON cut in half, and
    with a 10 MiB JSON body (chunked: no length told up front). Outcome: MeasureOffset fails
    with CameraProtocol in words, the measurement's properties stay as they were; the 10 MiB
    answer is read no further than camerad's 1 MiB cap (its peak memory grows by less than the
    body); the camera works again once it answers properly."""
    t = Bed(make_testbed)
    t.call("MeasureOffset")
    measured = t.prop("LastMeasuredUSec")
    for fault, words in [("garbage", "not JSON"), ("truncated", "not JSON"),
                         ("huge", "with more than 1024 KiB")]:
        sim_set(t.sim, fault=fault, faultMethod="GET")
        pid = t.bed.daemons["camerad"].proc.pid
        hwm = vm_hwm_kib(pid)
        with pytest.raises(BusCallError) as e:
            t.call("MeasureOffset")
        assert e.value.name == PROTOCOL and words in e.value.message, (fault, e.value)
        assert "EOS R50 (127.0.0.1)" in e.value.message
        if fault == "huge":
            assert (vm_hwm_kib(pid) - hwm) * 1024 < 10 * MiB
        assert t.prop("LastMeasuredUSec") == measured
        assert t.prop("LastError") == e.value.message
        sim_set(t.sim, fault="none", faultMethod=None)
        t.call("MeasureOffset")
        assert t.prop("LastError") == ""
        measured = t.prop("LastMeasuredUSec")

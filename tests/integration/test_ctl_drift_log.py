# SPDX-License-Identifier: LGPL-2.1-or-later
"""picamsyncctl drift-log and drift-report (docs/drift.md) against the testbed: a simulated camera
whose clock runs fast and a fake Pi clock that runs slow, logged for a short run, the page sync
clockd records, the fitted drift against the simulator's rate, the plot as XML, bad CSV rows, and
an output that cannot be written. No timing asserts: the run's length only bounds how many rows
there are, and the checks ask for few."""

import csv
import json
import os
import resource
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import picamsync_testbed as harness
from busclient import BusClient
from test_ctl import ctl_path, fails, ok, run
from testbed_clients import wait_camera_connected

CLOCK = ("org.picamsync.Clock1", "/org/picamsync/Clock1", "org.picamsync.Clock1")
HEADER = ("utc,boottime_s,camera_offset_ms,camera_bound_ms,pi_offset_ms,pi_bound_ms,"
          "pi_reference,pi_step_ms,event,note")
# The camera gains 1500 ppm on host time and the Pi loses 500 ppm: the camera gains 2000 ppm on
# the Pi, 40 ms in 20 s, well above the few ms a measurement is good to. Much larger rates move
# the camera by more than its bound during one measurement (about 5 s) and spoil the bounds.
CAMERA_PPM = 1500.0
PI_PPM = -500.0


@pytest.fixture
def drift_bed(make_testbed):
    bed = make_testbed(ppm=PI_PPM)
    sim = bed.start_sim(offset_ms=4000, args=["--drift-ppm", str(CAMERA_PPM)])
    bed.start_camerad({"PICAMSYNC_CAMERA_URLS": sim["camera"]})
    wait_camera_connected(bed)
    return bed


def start_log(bed, *args, preexec_fn=None):
    """drift-log on the fake Pi clock, as the Pi's own picamsyncctl: its NTP offsets are the
    Pi's."""
    e = dict(os.environ, NO_COLOR="1")
    e.pop("PICAMSYNC_BUS_ADDRESS", None)
    e["LD_PRELOAD"] = bed.fakeclock.library
    e["FAKECLOCK_STATE"] = bed.fakeclock.path
    e["ASAN_OPTIONS"] = bed.daemon_env()["ASAN_OPTIONS"]
    return subprocess.Popen([ctl_path(), "--address", bed.bus.address, "drift-log", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e,
                            preexec_fn=preexec_fn)


@pytest.fixture
def ntp_server():
    """tests/sim/ntp_server.py on 127.0.0.1: a function (offset_ms) -> "127.0.0.1:PORT"."""
    procs = []
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim",
                          "ntp_server.py")

    def start(offset_ms=0.0):
        p = subprocess.Popen([sys.executable, script, "--listen", "127.0.0.1", "--port", "0",
                              "--offset-ms", str(offset_ms)], stdout=subprocess.PIPE, text=True)
        procs.append(p)
        word, port = p.stdout.readline().split()
        assert word == "READY"
        return f"127.0.0.1:{port}"

    yield start
    for p in procs:
        p.terminate()
        p.wait()


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def camera_rows(path):
    return [r for r in rows(path) if r["camera_offset_ms"]]


def test_log_and_report_find_the_simulated_drift(drift_bed, ntp_server, tmp_path):
    out = tmp_path / "drift.csv"
    plot = tmp_path / "drift.svg"
    # The NTP server serves host time, the reference the page's sync below uses too.
    server = ntp_server(0)
    p = start_log(drift_bed, "--interval", "2s", "--duration", "40s", "--ntp", server,
                  "--output", str(out))
    try:
        # A page's sync, as webd's Confirm records it: the Pi is fakeclock's offset from host
        # time (the reference), so Confirm gets reference − Pi.
        harness.wait_until(lambda: out.exists() and camera_rows(out), 120, "a first camera row")
        pi_minus_ref_us = drift_bed.fakeclock.offset_ns() // 1000
        bus = BusClient(drift_bed.bus.address)
        try:
            bus.call(*CLOCK, "Confirm", "xs", (-pi_minus_ref_us, "client-ap"))
        finally:
            bus.close()
        stdout, stderr = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, stdout + stderr
    assert stderr == ""
    assert "Done:" in stdout

    assert out.read_text().splitlines()[0] == HEADER
    cams = camera_rows(out)
    assert len(cams) >= 3, out.read_text()
    assert all(float(r["camera_bound_ms"]) > 0 and r["event"] == "measure" for r in cams)
    ntps = [r for r in rows(out) if r["pi_reference"] == "ntp:127.0.0.1"]
    assert len(ntps) >= 3, out.read_text()
    assert all(r["pi_offset_ms"] and float(r["pi_bound_ms"]) > 0 for r in ntps)
    syncs = [r for r in rows(out) if r["event"] == "pi-sync"]
    assert len(syncs) == 1, out.read_text()
    assert syncs[0]["pi_reference"] == "client-ap"
    assert float(syncs[0]["pi_offset_ms"]) == pytest.approx(pi_minus_ref_us / 1000, abs=0.001)
    assert syncs[0]["pi_step_ms"] == ""  # Confirm does not step the clock

    report = json.loads(ok(drift_bed, "--json", "drift-report", str(out), "--svg", str(plot)))
    assert report["rows"] == len(rows(out))
    clocks = {(c["clock"], c["against"]): c for c in report["clocks"]}
    cam = clocks[("camera", "pi")]
    want = CAMERA_PPM - PI_PPM
    print(f"fitted {cam['driftPpm']} ± {cam['driftSigmaPpm']} ppm, want {want}")
    # The fit sees the drift (not zero within its uncertainty) and finds the simulator's rate
    # within four standard deviations (the bounds are guarantees, not Gaussian errors).
    assert cam["driftSigmaPpm"] < want / 2
    assert abs(cam["driftPpm"] - want) <= 4 * cam["driftSigmaPpm"]
    assert cam["secondsPerDay"] == pytest.approx(cam["driftPpm"] * 0.0864)
    assert cam["worstResidualUSec"] >= 0
    # Hold times: conservative (drift + 2 sigma) at most the nominal, and 1 s / 20 ms = 50.
    assert 0 < cam["within1sSeconds"] <= cam["within1sNominalSeconds"]
    assert cam["within1sSeconds"] == pytest.approx(50 * cam["within20msSeconds"])
    # The Pi against NTP and the page: the fake clock's rate.
    pi = clocks[("pi", "reference")]
    print(f"Pi {pi['driftPpm']} ± {pi['driftSigmaPpm']} ppm, want {PI_PPM}")
    assert pi["points"] == len(ntps) + 1
    assert abs(pi["driftPpm"] - PI_PPM) <= 4 * pi["driftSigmaPpm"] + 5
    both = clocks[("camera", "reference")]
    assert abs(both["driftPpm"] - CAMERA_PPM) <= 4 * both["driftSigmaPpm"] + 5

    root = ET.parse(plot).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.startswith("camera − Pi (first +") for t in texts), texts
    assert any("time since the first row" in t for t in texts), texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == len(cams) + len(ntps) + 1

    text = ok(drift_bed, "drift-report", str(out))
    assert "Camera against the Pi: " in text and "ppm" in text and "within 20 ms" in text
    assert "Camera against the reference" in text


def test_ntp_offsets_are_pi_minus_server_and_failures_are_noted(drift_bed, ntp_server, tmp_path):
    out = tmp_path / "drift.csv"
    ahead = ntp_server(250)  # serves host time + 250 ms: the Pi is about 250 ms behind it
    p = start_log(drift_bed, "--interval", "1s", "--ntp", ahead, "--output", str(out))
    try:
        harness.wait_until(lambda: out.exists() and any(r["pi_offset_ms"] for r in rows(out)),
                           120, "a first NTP row")
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, stdout + stderr
    ntps = [r for r in rows(out) if r["pi_offset_ms"]]
    # The fake Pi clock is within 100 ms of host time in this short run (−500 ppm).
    assert all(-350 < float(r["pi_offset_ms"]) < -150 for r in ntps), out.read_text()

    # A server that does not answer: a row noting it, a line on stderr, the log goes on.
    out2 = tmp_path / "silent.csv"
    p = start_log(drift_bed, "--interval", "1s", "--ntp", "127.0.0.1:9", "--output", str(out2))
    try:
        harness.wait_until(lambda: out2.exists() and any(r["note"] for r in rows(out2)), 120,
                           "a row noting the silent server")
        harness.wait_until(lambda: camera_rows(out2), 120, "a camera row after it")
        p.send_signal(signal.SIGTERM)
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, stdout + stderr
    noted = [r for r in rows(out2) if r["note"]]
    assert noted[0]["pi_offset_ms"] == "" and "127.0.0.1:9" in noted[0]["note"]
    assert "picamsyncctl: No NTP server answered well" in stderr


def test_ctrl_c_stops_cleanly_and_keeps_the_rows(drift_bed, tmp_path):
    out = tmp_path / "drift.csv"
    p = start_log(drift_bed, "--interval", "1s", "--output", str(out))
    try:
        harness.wait_until(lambda: out.exists() and camera_rows(out), 120, "a first camera row")
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, stdout + stderr
    assert "Stopped:" in stdout
    kept = out.read_text()
    assert kept.startswith(HEADER + "\n") and kept.endswith("\n")
    assert len(camera_rows(out)) >= 1

    # A second run appends to the same log: one header, more rows.
    p = start_log(drift_bed, "--interval", "1s", "--output", str(out))
    try:
        harness.wait_until(lambda: len(camera_rows(out)) > len(kept.splitlines()) - 1, 120,
                           "a row of the second run")
        p.send_signal(signal.SIGTERM)
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, stdout + stderr
    assert out.read_text().startswith(kept)
    assert out.read_text().count("utc,boottime_s") == 1
    ok(drift_bed, "drift-report", str(out))


def test_output_that_cannot_be_written_is_refused_before_starting(make_testbed, tmp_path):
    bed = make_testbed()
    missing = tmp_path / "no-such-dir" / "drift.csv"
    line = fails(bed, 1, "drift-log", "--output", str(missing))
    assert "Could not open" in line and "nothing was measured" in line
    assert not missing.parent.exists()
    assert "Is a directory" in fails(bed, 1, "drift-log", "--output", str(tmp_path))
    other = tmp_path / "notes.txt"
    other.write_text("my notes\n")
    assert "is not a drift log" in fails(bed, 1, "drift-log", "--output", str(other))
    assert other.read_text() == "my notes\n"
    # The command line is checked first of all.
    assert "needs --output" in fails(bed, 2, "drift-log")
    assert "not an interval" in fails(bed, 2, "drift-log", "--interval", "0s", "--output",
                                      str(tmp_path / "x.csv"))
    assert "not a duration" in fails(bed, 2, "drift-log", "--duration", "soon", "--output",
                                     str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_a_write_that_fails_mid_run_stops_with_the_rows_kept(drift_bed, tmp_path):
    out = tmp_path / "drift.csv"

    def small_files():
        # The header fits, a row does not: the write fails with EFBIG (SIGXFSZ ignored).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(HEADER) + 20, len(HEADER) + 20))

    p = start_log(drift_bed, "--interval", "1s", "--output", str(out), preexec_fn=small_files)
    try:
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 1, stdout + stderr
    assert "Could not write to" in stderr and "stopped after 0 rows, which are kept" in stderr
    assert out.read_text().startswith(HEADER + "\n")


def test_report_errors_name_the_line(make_testbed, tmp_path):
    bed = make_testbed()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n"
                   "2026-12-07T01:20:00.000Z,10.0,4000.5,3.2,,,,,measure,\n"
                   "2026-12-07T01:20:10.000Z,20.0,soon,3.2,,,,,measure,\n")
    line = fails(bed, 1, "drift-report", str(bad))
    assert "line 3: camera_offset_ms \"soon\" is not a number of milliseconds." in line
    bad.write_text("time,offset\n1,2\n")
    assert "line 1: \"time\" is not a drift log column" in fails(bed, 1, "drift-report", str(bad))
    bad.write_text(HEADER + "\n2026-12-07T01:20:00.000Z,10.0,1,1,,,,,measure\n")
    assert "line 2: 9 fields, but the header names 10 columns." in fails(
        bed, 1, "drift-report", str(bad))
    bad.write_text(HEADER + "\n")
    assert "has no rows yet" in fails(bed, 1, "drift-report", str(bad))
    assert "Could not read" in fails(bed, 1, "drift-report", str(tmp_path / "missing.csv"))
    assert "needs one drift log file" in fails(bed, 2, "drift-report")
    assert "Unknown option" in fails(bed, 2, "drift-report", str(bad), "--frobnicate")
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "\n"
                    "2026-12-07T01:20:00.000Z,10.0,4000.0,3.0,,,,,measure,\n"
                    "2026-12-07T01:20:10.000Z,20.0,4000.2,3.0,,,,,measure,\n"
                    "2026-12-07T01:20:20.000Z,30.0,4000.4,3.0,,,,,measure,\n")
    line = fails(bed, 1, "drift-report", str(good), "--svg", str(tmp_path / "no" / "p.svg"))
    assert "Could not write the plot" in line
    # An interrupted last row (no newline) is left out with a word on stderr.
    with open(good, "a") as f:
        f.write("2026-12-07T01:20:30.000Z,40.0,40")
    code, stdout, stderr = run(bed, "drift-report", str(good))
    assert code == 0 and "incomplete row" in stderr and "3 rows" in stdout

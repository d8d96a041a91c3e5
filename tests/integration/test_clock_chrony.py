# SPDX-License-Identifier: LGPL-2.1-or-later
"""clockd reads chronyd (docs/org.picamsync.Clock1.md, "Time source"): a real chronyd, always
with -x (it serves and reports but never touches a clock), on loopback, its configuration,
socket and pid file in a temporary directory, fed by the SNTP test server
(tests/sim/ntp_server.py) on 127.0.0.1. clockd is pointed at its socket with
PICAMSYNC_CHRONY_SOCKET. chronyd -x does not discipline the kernel, so NTPSynchronized comes
from the fake clock. chronyd is killed and its files removed after each test, whatever
happens."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import pytest

import picamsync_testbed as harness
from busclient import BusClient
from conftest import ClockProxy

SERVER = os.path.join(harness.SRCDIR, "tests", "sim", "ntp_server.py")
CHRONYD = shutil.which("chronyd", path="/usr/sbin:/usr/bin:/sbin:/bin")
CHRONYC = shutil.which("chronyc", path="/usr/sbin:/usr/bin:/sbin:/bin")


class NtpServer:
    """The SNTP test server on 127.0.0.1, changed through its state file."""

    def __init__(self, workdir, offset_ms, stratum):
        self.state = os.path.join(workdir, "ntp-state.json")
        self.write(offset_ms=offset_ms, stratum=stratum)
        self.log = open(os.path.join(workdir, "ntp-server.log"), "w")
        self.proc = subprocess.Popen([sys.executable, SERVER, "--listen", "127.0.0.1",
                                      "--port", "0", "--state", self.state],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     start_new_session=True)
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "READY", f"the NTP test server did not start: {line}"
        self.port = int(line[1])

    def write(self, **state):
        tmp = self.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.state)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


class Chronyd:
    """chronyd -x in the foreground, everything of it under one temporary directory."""

    def __init__(self, workdir, port):
        assert CHRONYD, "chronyd is missing; tools/install-deps installs the package chrony"
        self.dir = workdir
        self.rundir = os.path.join(workdir, "run")
        os.makedirs(self.rundir, mode=0o750, exist_ok=True)
        self.socket = os.path.join(self.rundir, "chronyd.sock")
        self.conf = os.path.join(workdir, "chrony.conf")
        with open(self.conf, "w") as f:
            f.write(f"server 127.0.0.1 port {port} iburst minpoll 0 maxpoll 0\n"
                    "port 0\n"          # serves no one
                    "cmdport 0\n"       # commands only on the Unix socket
                    f"bindcmdaddress {self.socket}\n"
                    f"pidfile {os.path.join(self.rundir, 'chronyd.pid')}\n"
                    f"driftfile {os.path.join(workdir, 'drift')}\n")
        self.proc = None
        self.n = 0

    def start(self):
        self.log = open(os.path.join(self.dir, f"chronyd-{self.n}.log"), "w")
        self.n += 1
        # -x: never touch a clock; -d: foreground, log to stderr; -u root: no user switch
        # (the directory is root's).
        self.proc = subprocess.Popen([CHRONYD, "-x", "-d", "-u", "root", "-f", self.conf],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        harness.wait_until(lambda: self.proc.poll() is not None or os.path.exists(self.socket),
                           20, "chronyd to open its command socket")
        assert self.proc.poll() is None, open(self.log.name).read()

    def tracking(self):
        out = subprocess.run([CHRONYC, "-h", self.socket, "-c", "-n", "tracking"],
                             capture_output=True, text=True, timeout=30)
        return out.stdout

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if hasattr(self, "log") and not self.log.closed:
            self.log.close()


@pytest.fixture
def chrony_env():
    """A server 250 ms ahead (stratum 1) and chronyd following it; removed whatever happens."""
    workdir = tempfile.mkdtemp(prefix="picamsync-chrony-")
    os.chmod(workdir, 0o755)
    server = chronyd = None
    try:
        server = NtpServer(workdir, offset_ms=250, stratum=1)
        chronyd = Chronyd(workdir, server.port)
        chronyd.start()
        yield server, chronyd
    finally:
        if chronyd:
            chronyd.stop()
        if server:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def synced(chronyd):
    line = chronyd.tracking().strip().split(",")
    return len(line) == 14 and line[0] == "7F000001"


def clockd_log(bed):
    return bed.daemons["clockd"].log()


def test_clockd_reports_chrony_and_its_server(make_testbed, chrony_env):
    server, chronyd = chrony_env
    bed = make_testbed(ntp_synced=True, env={"PICAMSYNC_CHRONY_SOCKET": chronyd.socket})
    client = BusClient(bed.bus.address)
    try:
        clock = ClockProxy(client)
        clock.watch()
        harness.wait_until(lambda: clock.prop("NTPServerAddress") == "127.0.0.1", 60,
                           "clockd to report chronyd's server; its log:\n" + clockd_log(bed))
        # Announced: the test watched Clock1 since before clockd knew the server.
        assert clock.wait_changed("NTPServerAddress", timeout=5, value="127.0.0.1") == "127.0.0.1"
        p = clock.props()
        assert p["NTPSource"] == "chrony"
        assert p["NTPServerName"] == "127.0.0.1"  # as configured (chronyc -N)
        assert p["NTPStratum"] == 1               # the server's, not chronyd's own
        assert p["NTPPollIntervalUSec"] == 1_000_000  # minpoll 0 maxpoll 0
        # Server minus this clock: the server's 250 ms, whatever chronyd's -x model adds.
        assert abs(p["NTPOffsetUSec"] - 250_000) < 100_000, p["NTPOffsetUSec"]
        assert p["NTPLastMessageUSec"] > 0
        assert p["NTPRootDispersionUSec"] > 0
        assert "chronyd answers on" in clockd_log(bed)

        # The server moves: clockd follows at chronyd's poll interval.
        server.write(offset_ms=-400, stratum=2, refid="192.0.2.1")
        harness.wait_until(lambda: clock.prop("NTPStratum") == 2, 60,
                           "clockd to follow the server's new stratum")
        harness.wait_until(lambda: abs(clock.prop("NTPOffsetUSec") + 400_000) < 100_000, 90,
                           "clockd to follow the server's new offset")
    finally:
        client.close()


def test_chronyd_vanishes_and_comes_back(make_testbed, chrony_env):
    server, chronyd = chrony_env
    bed = make_testbed(ntp_synced=True, env={"PICAMSYNC_CHRONY_SOCKET": chronyd.socket})
    client = BusClient(bed.bus.address)
    try:
        clock = ClockProxy(client)
        harness.wait_until(lambda: clock.prop("NTPSource") == "chrony", 60,
                           "clockd to see chronyd")
        chronyd.stop()
        # Its socket goes with it: chrony is unknown; the kernel is still synchronized.
        harness.wait_until(lambda: clock.prop("NTPSource") == "other", 30,
                           "clockd to notice that chronyd is gone")
        p = clock.props()
        assert (p["NTPServerName"], p["NTPServerAddress"], p["NTPStratum"]) == ("", "", 0)
        harness.wait_until(lambda: "chrony's server is unknown until chronyd answers again"
                           in clockd_log(bed), 20, "clockd to say so")

        chronyd.start()
        harness.wait_until(lambda: clock.prop("NTPServerAddress") == "127.0.0.1", 60,
                           "clockd to see chronyd again; its log:\n" + clockd_log(bed))
        assert clock.prop("NTPSource") == "chrony"
        assert bed.daemons["clockd"].alive()
    finally:
        client.close()


def test_garbage_from_chronyc_leaves_chrony_unknown(make_testbed, tmp_path):
    """A chronyc (PICAMSYNC_CHRONYC) that prints garbage, on a socket that exists: clockd
    says so in words, shows nothing, and reads chrony again when the socket comes back."""
    import socket as pysocket

    os.chmod(tmp_path, 0o755)
    sock_path = str(tmp_path / "chronyd.sock")
    fake = tmp_path / "chronyc"
    fake.write_text("#!/bin/sh\necho 'hello,this,is,not,chrony'\n")
    fake.chmod(0o755)
    s = pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_DGRAM)
    s.bind(sock_path)
    bed = make_testbed(ntp_synced=False, env={"PICAMSYNC_CHRONY_SOCKET": sock_path,
                                              "PICAMSYNC_CHRONYC": str(fake)})
    client = BusClient(bed.bus.address)
    try:
        clock = ClockProxy(client)
        harness.wait_until(lambda: "made no sense" in clockd_log(bed), 20,
                           "clockd to say that chronyd's answer made no sense")
        assert clock.prop("NTPSource") == "none"
        assert "the tracking line has 5 fields" in clockd_log(bed)

        # chronyd "restarts" with a sane answer: the new socket is read at once.
        fake.write_text("#!/bin/sh\n"
                        "echo '7F000001,127.0.0.1,2,1796605444.5,0.001,0,0,0,0,0,0,0.002,1.0,"
                        "Normal'\n"
                        "echo '^,*,127.0.0.1,1,6,377,1,0,0,0'\n")
        s.close()
        os.unlink(sock_path)
        s = pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_DGRAM)
        s.bind(sock_path)
        harness.wait_until(lambda: clock.prop("NTPSource") == "chrony", 20,
                           "clockd to read chrony again when its socket came back")
        assert clock.prop("NTPOffsetUSec") == 1000
        assert clock.prop("NTPPollIntervalUSec") == 64_000_000
        assert bed.daemons["clockd"].alive()
    finally:
        s.close()
        client.close()

# SPDX-License-Identifier: LGPL-2.1-or-later
"""picamsyncctl ntp-check against local SNTP test servers (tests/sim/ntp_server.py) on
loopback, each with its own offset or fault, and a real chronyd run with -x (it serves and
never touches a clock). Nothing leaves loopback: every server is on 127.0.0.1 or ::1, the one
name looked up is under .invalid, and the configuration files the command would read without
servers are the test's own (PICAMSYNC_TIMESYNCD_CONF, PICAMSYNC_CHRONY_CONF) with a bus address
that leads nowhere, so neither this machine's chrony.conf nor its bus is read.

No timing asserts: an offset is checked against the bound NTP itself gives (the true offset
lies within the measured one ± half the round trip), which holds however loaded the machine is.
docs/picamsyncctl.md, "ntp-check", is what is checked here."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest


SERVER_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim", "ntp_server.py")
# How close a measured offset must be to the served one beyond half the round trip: the
# server's own rounding to ns and ours to µs.
SLACK_USEC = 5


class NtpServer:
    """One tests/sim/ntp_server.py, with its state file."""

    def __init__(self, workdir, name, listen="127.0.0.1", **state):
        self.state_path = os.path.join(workdir, name + ".json")
        self.write(**state)
        self.proc = subprocess.Popen(
            [sys.executable, SERVER_PY, "--listen", listen, "--state", self.state_path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("READY "), f"ntp_server.py did not start: {line!r}"
        self.port = int(line.split()[1])
        self.spec = f"[{listen}]:{self.port}" if ":" in listen else f"{listen}:{self.port}"
        self.offset_ms = state.get("offset_ms", 0.0)

    def write(self, **state):
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.state_path)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="picamsync-ntp-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def servers(workdir):
    started = []

    def start(name, **state):
        s = NtpServer(workdir, name, **state)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def ctl(builddir, workdir):
    exe = os.path.join(builddir, "ctl", "picamsyncctl")
    env = dict(os.environ)
    env.update({
        # Never this machine's bus or configuration: without servers, these are read.
        "PICAMSYNC_BUS_ADDRESS": "unix:path=" + os.path.join(workdir, "no-bus"),
        "PICAMSYNC_TIMESYNCD_CONF": os.path.join(workdir, "timesyncd.conf"),
        "PICAMSYNC_CHRONY_CONF": os.path.join(workdir, "chrony.conf"),
        "NO_COLOR": "1",
    })
    env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
    # Name lookups must not leave this machine either (docs/testing.md, rule 2): the command
    # runs in a mount namespace of its own whose /etc/resolv.conf names a resolver on
    # loopback where none listens, so "ntp.invalid" fails here, without a DNS query sent out.
    resolv = os.path.join(workdir, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv]

    def run(*args, expect=None):
        p = subprocess.run([*wrap, exe, *args], env=env, capture_output=True, text=True,
                           timeout=300)
        if expect is not None:
            assert p.returncode == expect, (p.returncode, p.stdout, p.stderr)
        return p

    def run_json(*args, expect=0):
        p = run("ntp-check", "--json", *args, expect=expect)
        return json.loads(p.stdout), p

    run.json = run_json
    return run


def within_bound(result, offset_ms):
    """The served offset lies within the measured one ± half the round trip."""
    assert result["ok"], result
    return abs(result["offsetUSec"] - offset_ms * 1000) <= result["delayUSec"] / 2 + SLACK_USEC


def quality(offset_usec):
    a = abs(offset_usec)
    return ("excellent" if a < 5000 else "good" if a < 10000 else "fair" if a < 25000
            else "poor" if a <= 50000 else "critical")


def test_median_of_three_robust_to_one_far_off(servers, ctl):
    a = servers("a", offset_ms=8.0)
    b = servers("b", offset_ms=12.0, stratum=2, refid="192.168.4.2")
    c = servers("c", offset_ms=900.0)
    doc, _ = ctl.json(a.spec, b.spec, c.spec, "--samples", "3")
    assert doc["source"] == "command line"
    assert doc["samples"] == 3 and doc["good"] == 3
    res = {r["server"]: r for r in doc["servers"]}
    for s in (a, b, c):
        assert within_bound(res[s.spec], s.offset_ms), res[s.spec]
        assert res[s.spec]["samplesSent"] == 3 and res[s.spec]["samplesGood"] == 3
    # The median is the middle server's offset: the one 900 ms off does not pull it.
    assert doc["medianOffsetUSec"] == res[b.spec]["offsetUSec"]
    assert doc["quality"] == quality(doc["medianOffsetUSec"])
    assert res[a.spec]["stratum"] == 1 and res[a.spec]["refid"] == "GPS"
    assert res[b.spec]["stratum"] == 2 and res[b.spec]["refid"] == "192.168.4.2"
    assert res[a.spec]["leap"] == "none"


def test_drift_alert_beyond_the_threshold(servers, ctl):
    # Offsets far from the 20 ms default either way, so the bound of each cannot matter.
    behind = servers("behind", offset_ms=300.0)
    doc, _ = ctl.json(behind.spec, "--samples", "1")
    assert doc["alert"] is True and doc["alertThresholdUSec"] == 20000
    p = ctl("ntp-check", behind.spec, "--samples", "1", expect=0)
    assert re.search(r"Alert: the Pi is \d+\.\d{3} ms behind NTP time, beyond the alert "
                     r"threshold of 20\.000 ms", p.stdout), p.stdout
    # A threshold of one's own: the same offset is within 1 s.
    doc, _ = ctl.json(behind.spec, "--samples", "1", "--alert", "1s")
    assert doc["alert"] is False and doc["alertThresholdUSec"] == 1000000
    p = ctl("ntp-check", behind.spec, "--samples", "1", "--alert", "1s", expect=0)
    assert "Alert" not in p.stdout
    ahead = servers("ahead", offset_ms=-300.0)
    p = ctl("ntp-check", ahead.spec, "--samples", "1", expect=0)
    assert "ms ahead of NTP time" in p.stdout
    # No answer, no median: no alert either way.
    silent = servers("silent", behaviour="silent")
    doc, _ = ctl.json(silent.spec, "--samples", "1", "--timeout", "300ms", expect=1)
    assert doc["alert"] is None


def test_json_shape(servers, ctl):
    a = servers("a", offset_ms=-3.0)
    doc, _ = ctl.json(a.spec, "ntp.invalid", "--samples", "1")
    assert set(doc) == {"source", "samples", "timeoutUSec", "servers", "good",
                        "medianOffsetUSec", "quality", "alertThresholdUSec", "alert"}
    assert doc["alertThresholdUSec"] == 20000 and doc["alert"] is False
    assert doc["timeoutUSec"] == 2000000
    keys = {"server", "address", "port", "ok", "offsetUSec", "delayUSec", "stratum", "refid",
            "leap", "poll", "precision", "rootDelayUSec", "rootDispersionUSec", "samplesSent",
            "samplesGood", "fault", "error"}
    good, bad = doc["servers"]
    assert set(good) == keys and set(bad) == keys
    assert good["address"] == "127.0.0.1" and good["port"] == a.port
    assert good["fault"] is None and good["error"] is None
    assert good["rootDelayUSec"] in range(480, 510)  # the server's 0.5 ms, in 16.16 s
    assert bad["server"] == "ntp.invalid" and bad["address"] is None and bad["port"] == 123
    assert bad["ok"] is False and bad["offsetUSec"] is None and bad["samplesSent"] == 0
    assert bad["error"].startswith("could not resolve ntp.invalid")
    assert doc["quality"] == quality(doc["medianOffsetUSec"])


FAULTS = {
    # behaviour: (fault, words in the error)
    "kod": ("kiss-o-death", "kiss-o'-death (RATE: it asks us to send less often)"),
    "leap3": ("unsynchronised", "not synchronised itself (leap indicator 3)"),
    "stratum0": ("unsynchronised", "not synchronised itself (stratum 0, INIT"),
    "wrong-origin": ("origin", "an answer to a request we did not send"),
    "zero-transmit": ("zero-transmit", "no transmit timestamp"),
    "short": ("short", "too short to be an NTP packet"),
    "client-mode": ("mode", "not from an NTP server (mode 3, not 4)"),
    "silent": (None, "no answer within 1s (2 requests)"),
}


def test_each_misbehaviour_is_reported_and_left_out(servers, ctl):
    good = servers("good", offset_ms=3.0)
    bad = {b: servers(b, offset_ms=-500.0, behaviour=b) for b in FAULTS}
    garbage = servers("garbage", behaviour="garbage")
    specs = [good.spec] + [s.spec for s in bad.values()] + [garbage.spec]
    doc, _ = ctl.json(*specs, "--samples", "2", "--timeout", "1s")
    res = {r["server"]: r for r in doc["servers"]}
    assert doc["good"] == 1
    assert doc["medianOffsetUSec"] == res[good.spec]["offsetUSec"]
    assert within_bound(res[good.spec], 3.0)
    for b, (fault, words) in FAULTS.items():
        r = res[bad[b].spec]
        assert r["ok"] is False and r["offsetUSec"] is None, (b, r)
        assert r["fault"] == fault, (b, r)
        assert words in r["error"], (b, r["error"])
    # A kiss-o'-death is obeyed: no second request.
    assert res[bad["kod"].spec]["samplesSent"] == 1
    assert res[bad["leap3"].spec]["leap"] == "unsynchronised"
    # 48 random bytes: never taken for an answer; the error names what is wrong with them.
    g = res[garbage.spec]
    assert g["ok"] is False and g["fault"] in ("mode", "version", "origin"), g

    # The same in words, and the exit status says one server answered well.
    p = ctl("ntp-check", *specs, "--samples", "2", "--timeout", "1s", expect=0)
    for b, (_fault, words) in FAULTS.items():
        assert words in p.stdout, (b, p.stdout)
    assert f"(1 of {len(specs)} servers answered well)" in p.stdout
    assert "Quality: excellent (offset under 5 ms)" in p.stdout


def test_state_changes_while_running(servers, ctl):
    s = servers("s", offset_ms=40.0)
    doc, _ = ctl.json(s.spec, "--samples", "1")
    assert within_bound(doc["servers"][0], 40.0)
    s.write(offset_ms=40.0, behaviour="kod", kod_code="DENY")
    # The server reads its state file when it changes; the next check sees the new state.
    p = ctl("ntp-check", s.spec, "--samples", "1", expect=1)
    assert "kiss-o'-death (DENY: it denies us access)" in p.stdout
    assert "did not answer well" in p.stderr and "Nothing was changed" in p.stderr


def test_none_answers_exit_1(servers, ctl):
    silent = servers("silent", behaviour="silent")
    p = ctl("ntp-check", silent.spec, "ntp.invalid", "127.0.0.1:9", "--samples", "1",
            "--timeout", "500ms", expect=1)
    assert "no answer within 500ms (1 request)" in p.stdout
    assert "could not resolve ntp.invalid" in p.stdout
    assert "nothing answers NTP at port 9 (connection refused)" in p.stdout
    assert "Median offset: none (no server answered well)" in p.stdout
    assert "None of the 3 NTP servers answered well" in p.stderr
    doc, _ = ctl.json(silent.spec, "--samples", "1", "--timeout", "500ms", expect=1)
    assert doc["good"] == 0 and doc["medianOffsetUSec"] is None and doc["quality"] is None
    assert doc["timeoutUSec"] == 500000


def test_ipv6_loopback(servers, ctl):
    if not os.path.exists("/proc/net/if_inet6"):
        pytest.skip("no IPv6 on this machine")
    s = servers("v6", listen="::1", offset_ms=-20.0)
    doc, _ = ctl.json(s.spec, "--samples", "2")
    r = doc["servers"][0]
    assert r["address"] == "::1" and r["port"] == s.port
    assert within_bound(r, -20.0)


@pytest.mark.parametrize("args", [
    ["--samples", "0"], ["--samples", "33"], ["--samples", "x"], ["--samples"],
    ["--timeout", "soon", "127.0.0.1"], ["127.0.0.1:0"], ["[::1"], ["host:99999"], ["--frobnicate"],
    ["--alert", "soon", "127.0.0.1"], ["--alert", "0", "127.0.0.1"],
])
def test_bad_usage_exit_2(ctl, args):
    p = ctl("ntp-check", *args, expect=2)
    assert p.stderr.startswith("picamsyncctl: ") and p.stdout == ""


def test_help(ctl):
    p = ctl("ntp-check", "--help", expect=0)
    assert "--samples N" in p.stdout and "never changes the clock" in p.stdout
    assert "ntp-check" in ctl("--help", expect=0).stdout


def test_servers_from_timesyncd(servers, ctl, workdir):
    a = servers("a", offset_ms=1.0)
    b = servers("b", offset_ms=2.0)
    fb = servers("fallback", offset_ms=3.0)
    conf = os.path.join(workdir, "timesyncd.conf")
    with open(conf, "w") as f:
        f.write(f"[Time]\nNTP=192.0.2.1\nFallbackNTP={fb.spec}\n")
    os.mkdir(conf + ".d")
    # A drop-in's empty NTP= clears the list, the next line sets it again.
    with open(os.path.join(conf + ".d", "50-pi.conf"), "w") as f:
        f.write(f"# the Pi Zero\n[Time]\nNTP=\nNTP={a.spec} {b.spec}\n")
    doc, _ = ctl.json("--samples", "1")
    assert doc["source"] == f"timesyncd ({conf})"
    assert [r["server"] for r in doc["servers"]] == [a.spec, b.spec]
    assert doc["good"] == 2
    p = ctl("ntp-check", "--samples", "1", expect=0)
    assert p.stdout.startswith(f"Servers from timesyncd ({conf}).")

    # Without NTP=, FallbackNTP=.
    with open(os.path.join(conf + ".d", "60-none.conf"), "w") as f:
        f.write("[Time]\nNTP=\n")
    doc, _ = ctl.json("--samples", "1")
    assert [r["server"] for r in doc["servers"]] == [fb.spec]


def test_servers_from_chrony(servers, ctl, workdir):
    a = servers("a", offset_ms=1.0)
    b = servers("b", offset_ms=2.0)
    v6 = os.path.exists("/proc/net/if_inet6")
    c = servers("c", listen="::1" if v6 else "127.0.0.1", offset_ms=3.0)
    conf = os.path.join(workdir, "chrony.conf")
    confd = os.path.join(workdir, "conf.d")
    sourcesd = os.path.join(workdir, "sources.d")
    os.mkdir(confd)
    os.mkdir(sourcesd)
    with open(conf, "w") as f:
        f.write(f"# test\nserver 127.0.0.1 port {a.port} iburst prefer\n"
                f"confdir {confd}\nsourcedir {sourcesd}\nmakestep 1 3\n")
    with open(os.path.join(confd, "gps.conf"), "w") as f:
        f.write(f"pool 127.0.0.1 port {b.port} maxsources 2\n")
    with open(os.path.join(sourcesd, "lan.sources"), "w") as f:
        f.write(f"server {'::1' if v6 else '127.0.0.1'} port {c.port}\n")
    with open(os.path.join(sourcesd, "ignored.conf"), "w") as f:
        f.write("server 192.0.2.7\n")
    doc, _ = ctl.json("--samples", "1")
    assert doc["source"] == f"chrony ({conf})"
    got = [r["server"] for r in doc["servers"]]
    assert got == [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}", c.spec]
    assert doc["good"] == 3


def test_no_servers_anywhere(ctl):
    p = ctl("ntp-check", expect=1)
    assert "No NTP server to check" in p.stderr and p.stdout == ""


def chronyd_conf(workdir, port):
    return "\n".join([
        f"port {port}",
        "bindaddress 127.0.0.1",
        "allow 127.0.0.1",
        "local stratum 8",
        "cmdport 0",
        # Its own command socket, not /run/chrony's (which a real chronyd would use).
        f"bindcmdaddress {workdir}/chronyd.sock",
        f"pidfile {workdir}/chronyd.pid",
        f"driftfile {workdir}/chronyd.drift",
        "",
    ])


def free_udp_port():
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_chronyd_with_x(ctl, workdir):
    """chronyd -x serves its own clock (local stratum 8) on loopback and never sets one."""
    chronyd = shutil.which("chronyd") or "/usr/sbin/chronyd"
    if not os.path.exists(chronyd):
        pytest.skip("chronyd is not installed")
    port = free_udp_port()
    conf = os.path.join(workdir, "chronyd.conf")
    with open(conf, "w") as f:
        f.write(chronyd_conf(workdir, port))
    proc = subprocess.Popen([chronyd, "-x", "-d", "-f", conf, "-u", "root"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # chronyd needs a moment before it serves: ask until it answers (a generous deadline,
        # not a timing assert).
        deadline = time.monotonic() + 60
        while True:
            doc, p = ctl.json(f"127.0.0.1:{port}", "--samples", "1", "--timeout", "1s",
                              expect=None)
            if doc["good"] == 1 or time.monotonic() > deadline or proc.poll() is not None:
                break
            time.sleep(0.5)
        assert doc["good"] == 1, (doc, proc.poll())
        r = doc["servers"][0]
        assert r["stratum"] == 8 and r["leap"] == "none"
        # chronyd serves this machine's own clock: the bound holds for an offset of 0.
        assert within_bound(r, 0.0), r
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    assert "Fatal" not in out, out


BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow send_requested_reply="true"/>
    <allow receive_requested_reply="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
MOCK_IFACE = "org.freedesktop.DBus.Mock"
NM = "org.freedesktop.NetworkManager"
NM_PATH = "/org/freedesktop/NetworkManager"


class MockBus:
    """A private bus of its own (never this machine's) with python-dbusmock objects on it:
    clockd's Clock1 and NetworkManager's active connection with its DHCP4Config."""

    def __init__(self, workdir):
        from busclient import BusClient
        socket_path = os.path.join(workdir, "mock-bus")
        conf = os.path.join(workdir, "mock-bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONF.format(socket=socket_path))
        self.daemon = subprocess.Popen(["dbus-daemon", "--nofork", "--config-file", conf,
                                        "--print-address"], stdout=subprocess.PIPE, text=True)
        self.address = self.daemon.stdout.readline().strip()
        assert self.address, "dbus-daemon did not start"
        self.mocks = []
        self.client = BusClient(self.address)

    def mock(self, name, path, iface):
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address)
        p = subprocess.Popen([sys.executable, "-m", "dbusmock", name, path, iface], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.mocks.append(p)
        deadline = time.monotonic() + 30
        while True:
            owner = self.client.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "NameHasOwner", "s", (name,))[0]
            if owner:
                return
            assert time.monotonic() < deadline and p.poll() is None, f"{name} mock did not start"
            time.sleep(0.1)

    def call(self, name, path, method, signature, args):
        return self.client.call(name, path, MOCK_IFACE, method, signature, args)

    def stop(self):
        self.client.close()
        for p in self.mocks + [self.daemon]:
            p.terminate()
            p.wait(timeout=30)


@pytest.fixture
def mockbus(workdir):
    bus = MockBus(workdir)
    yield bus
    bus.stop()


def test_servers_from_clockd_then_dhcp(servers, ctl, workdir, mockbus):
    """clockd's NTPServerAddress first; without it (and without timesyncd or chrony
    configuration), the NTP server NetworkManager's DHCP lease names (option 42)."""
    from gi.repository import GLib
    clockd_server = servers("clockd", offset_ms=2.0)
    # Option 42 carries addresses only, so the DHCP server listens on port 123, on an address
    # of 127/8 of its own (all of it is loopback).
    dhcp_addr = f"127.{os.getpid() % 200 + 20}.{os.getpid() // 200 % 250 + 1}.{42}"
    proc = subprocess.Popen([sys.executable, SERVER_PY, "--listen", dhcp_addr, "--port", "123",
                             "--offset-ms", "-4"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("READY ")
        mockbus.mock("org.picamsync.Clock1", "/org/picamsync/Clock1", "org.picamsync.Clock1")
        mockbus.call("org.picamsync.Clock1", "/org/picamsync/Clock1", "AddProperty", "ssv",
                     ("org.picamsync.Clock1", "NTPServerAddress",
                      GLib.Variant("s", clockd_server.spec)))
        mockbus.call("org.picamsync.Clock1", "/org/picamsync/Clock1", "AddProperty", "ssv",
                     ("org.picamsync.Clock1", "NTPServerName", GLib.Variant("s", "")))
        mockbus.mock(NM, NM_PATH, NM)
        active = NM_PATH + "/ActiveConnection/1"
        dhcp4 = NM_PATH + "/DHCP4Config/1"
        mockbus.call(NM, NM_PATH, "AddProperty", "ssv",
                     (NM, "ActiveConnections", GLib.Variant("ao", [NM_PATH + "/ActiveConnection/0",
                                                                  active])))
        mockbus.call(NM, NM_PATH, "AddObject", "ssa{sv}a(ssss)",
                     (NM_PATH + "/ActiveConnection/0", NM + ".Connection.Active",
                      {"Dhcp4Config": GLib.Variant("o", "/")}, []))
        mockbus.call(NM, NM_PATH, "AddObject", "ssa{sv}a(ssss)",
                     (active, NM + ".Connection.Active",
                      {"Dhcp4Config": GLib.Variant("o", dhcp4)}, []))
        mockbus.call(NM, NM_PATH, "AddObject", "ssa{sv}a(ssss)",
                     (dhcp4, NM + ".DHCP4Config",
                      {"Options": GLib.Variant("a{sv}", {
                          "ip_address": GLib.Variant("s", "192.168.4.20"),
                          "ntp_servers": GLib.Variant("s", dhcp_addr)})}, []))

        doc, _ = ctl.json("--samples", "1", "--address", mockbus.address)
        assert doc["source"] == "clockd"
        assert [r["server"] for r in doc["servers"]] == [clockd_server.spec]
        assert doc["good"] == 1

        # clockd knows no server: on to the configuration files (none here), then DHCP.
        mockbus.call("org.picamsync.Clock1", "/org/picamsync/Clock1", "UpdateProperties", "sa{sv}",
                     ("org.picamsync.Clock1", {"NTPServerAddress": GLib.Variant("s", "")}))
        doc, _ = ctl.json("--samples", "1", "--address", mockbus.address)
        assert doc["source"] == "DHCP (NetworkManager)"
        r = doc["servers"][0]
        assert r["server"] == dhcp_addr and r["port"] == 123 and r["ok"], r
        assert within_bound(r, -4.0)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

# SPDX-License-Identifier: LGPL-2.1-or-later
"""clockd knows its time source (docs/org.picamsync.Clock1.md, "Time source"): a mocked
systemd-timesyncd (python-dbusmock on the testbed's private bus, with the interface of
org.freedesktop.timesync1(5)) whose server appears on Clock1 with PropertiesChanged, that
vanishes and comes back; and the reliability rule, NTP counting as high only while the kernel's
estimated error (the fake clock's) is below PICAMSYNC_NTP_MAX_ERROR."""

import glob
import os
import shutil
import subprocess

import pytest

import picamsync_testbed as harness
from busclient import BusClient
from conftest import ClockProxy
from gi.repository import GLib

TS = "org.freedesktop.timesync1"
TS_PATH = "/org/freedesktop/timesync1"
TS_IFACE = "org.freedesktop.timesync1.Manager"
MOCK = "org.freedesktop.DBus.Mock"
PROPS = "org.freedesktop.DBus.Properties"
AF_INET = 2
# Short NTP checks, so that a change of the fake kernel's error is seen within a second.
FAST = {"PICAMSYNC_NTP_CHECK_INTERVAL": "200"}

# The rules systemd's own policy for timesyncd gives everyone (every call denied but reading
# properties, introspection and Peer; its signals received); root, which here runs the mock (and
# clockd), may do everything, including the mock's control interface.
TS_POLICY = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <allow own="org.freedesktop.timesync1"/>
    <allow send_destination="org.freedesktop.timesync1"/>
  </policy>
  <policy context="default">
    <deny own="org.freedesktop.timesync1"/>
    <deny send_destination="org.freedesktop.timesync1"/>
    <allow receive_sender="org.freedesktop.timesync1"/>
    <allow send_destination="org.freedesktop.timesync1"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.timesync1"
           send_interface="org.freedesktop.DBus.Peer"/>
    <allow send_destination="org.freedesktop.timesync1"
           send_interface="org.freedesktop.DBus.Properties" send_member="Get"/>
    <allow send_destination="org.freedesktop.timesync1"
           send_interface="org.freedesktop.DBus.Properties" send_member="GetAll"/>
  </policy>
</busconfig>
"""


@pytest.fixture
def ts_policy_dir(tmp_path):
    """The project's policy files and, beside them, timesyncd's."""
    d = tmp_path / "policy"
    d.mkdir()
    for f in glob.glob(os.path.join(harness.SRCDIR, "dbus-policy", "*.conf")):
        shutil.copy(f, d)
    (d / "org.freedesktop.timesync1.conf").write_text(TS_POLICY)
    os.chmod(tmp_path, 0o755)
    return str(d)


def message(stratum=2, offset_usec=3000, dispersion_usec=250, sent_usec=1_800_000_000_000_000):
    """An NTPMessage as timesyncd has it: the four times of one exchange, 2 ms of delay."""
    t1 = sent_usec
    t2 = t1 + 1000 + offset_usec
    t3 = t2 + 100
    t4 = t1 + 2100
    return GLib.Variant("(uuuuittayttttbtt)",
                        (0, 4, 4, stratum, -20, 1000, dispersion_usec, list(b"GPS\0"), t1, t2, t3,
                         t4, False, 5, 100))


class TimesyncdMock:
    """python-dbusmock in the shape of systemd-timesyncd, as root, on the testbed's bus."""

    def __init__(self, bed, n=0):
        self.log_path = os.path.join(bed.workdir, f"timesyncd-mock-{n}.log")
        self._log = open(self.log_path, "w")
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bed.bus.address)
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", "-m", "dbusmock", "--system", TS, TS_PATH, TS_IFACE],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        harness.wait_until(
            lambda: self.proc.poll() is not None or harness.bus_name_has_owner(bed.bus.address,
                                                                               TS),
            15, "the timesyncd mock to take its name")
        assert self.proc.poll() is None, open(self.log_path).read()
        self.bus = BusClient(bed.bus.address)

    def add(self, props):
        self.bus.call(TS, TS_PATH, MOCK, "AddProperties", "sa{sv}", (TS_IFACE, props))

    def set(self, name, value):
        """Properties.Set: the mock announces it with PropertiesChanged."""
        self.bus.call(TS, TS_PATH, PROPS, "Set", "ssv", (TS_IFACE, name, value))

    def serve(self, name="pi-zero.lan", address=(192, 168, 4, 2), **msg):
        """A server chosen and a first message from it, as timesyncd would have them."""
        self.add({
            "ServerName": GLib.Variant("s", name),
            "ServerAddress": GLib.Variant("(iay)", (AF_INET, list(address))),
            "PollIntervalUSec": GLib.Variant("t", 64_000_000),
            "PollIntervalMinUSec": GLib.Variant("t", 32_000_000),
            "Frequency": GLib.Variant("x", 0),
            "NTPMessage": message(),
        })
        self.set("NTPMessage", message(**msg))

    def stop(self):
        if self.bus:
            self.bus.close()
            self.bus = None
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if not self._log.closed:
            self._log.close()


@pytest.fixture
def ts_bed(make_testbed, ts_policy_dir):
    mocks = []
    clients = []

    def make(ntp_synced=True):
        bed = make_testbed(ntp_synced=ntp_synced, policy_dir=ts_policy_dir, env=FAST)
        client = BusClient(bed.bus.address)
        clients.append(client)
        clock = ClockProxy(client)
        clock.watch()

        def mock():
            m = TimesyncdMock(bed, len(mocks))
            mocks.append(m)
            return m
        return bed, clock, mock

    yield make
    for m in mocks:
        m.stop()
    for c in clients:
        c.close()


def clockd_log(bed):
    return bed.daemons["clockd"].log()


def wait_prop(clock, name, value, timeout=20):
    harness.wait_until(lambda: clock.prop(name) == value, timeout,
                       f"Clock1.{name} to be {value!r} (it is {clock.prop(name)!r})")


def test_timesyncd_server_shows_on_clock1(ts_bed):
    bed, clock, mock = ts_bed()
    assert clock.prop("NTPSource") == "other"  # synchronized by a daemon clockd does not see
    ts = mock()
    ts.serve(offset_usec=3000, stratum=1, dispersion_usec=250)
    assert clock.wait_changed("NTPServerName", timeout=20, value="pi-zero.lan") == "pi-zero.lan"
    p = clock.props()
    assert p["NTPSource"] == "timesyncd"
    assert p["NTPServerAddress"] == "192.168.4.2"
    assert p["NTPStratum"] == 1
    assert p["NTPPollIntervalUSec"] == 64_000_000
    assert p["NTPOffsetUSec"] == 3000
    assert p["NTPRootDispersionUSec"] == 250
    assert p["NTPLastMessageUSec"] == 1_800_000_000_000_000 + 2100

    # A new message: the changed values are announced.
    ts.set("NTPMessage", message(offset_usec=-1500, stratum=2, sent_usec=1_800_000_064_000_000))
    assert clock.wait_changed("NTPOffsetUSec", timeout=20, value=-1500) == -1500
    assert clock.prop("NTPStratum") == 2
    assert clock.prop("NTPLastMessageUSec") == 1_800_000_064_000_000 + 2100
    assert "systemd-timesyncd is on the bus" in clockd_log(bed)


def test_timesyncd_vanishes_and_comes_back(ts_bed):
    bed, clock, mock = ts_bed()
    ts = mock()
    ts.serve()
    wait_prop(clock, "NTPServerName", "pi-zero.lan")

    ts.stop()
    assert clock.wait_changed("NTPSource", timeout=20, value="other") == "other"
    p = clock.props()
    assert (p["NTPServerName"], p["NTPServerAddress"], p["NTPStratum"]) == ("", "", 0)
    assert (p["NTPOffsetUSec"], p["NTPLastMessageUSec"], p["NTPPollIntervalUSec"]) == (0, 0, 0)
    log = clockd_log(bed)
    assert "systemd-timesyncd left the bus; its server is unknown until it is back." in log

    # Back, with another server.
    ts2 = mock()
    ts2.serve(name="ntp.example.invalid", address=(10, 77, 0, 9))
    assert clock.wait_changed("NTPServerName", timeout=20,
                              value="ntp.example.invalid") == "ntp.example.invalid"
    assert clock.prop("NTPSource") == "timesyncd"
    assert clock.prop("NTPServerAddress") == "10.77.0.9"
    assert bed.daemons["clockd"].alive()


def test_timesyncd_without_a_server_yet(ts_bed):
    """Running, no server chosen and no message: the source is known, the server is not."""
    bed, clock, mock = ts_bed(ntp_synced=False)
    ts = mock()
    ts.add({"ServerName": GLib.Variant("s", ""),
            "ServerAddress": GLib.Variant("(iay)", (0, [])),
            "PollIntervalUSec": GLib.Variant("t", 0),
            "NTPMessage": GLib.Variant("(uuuuittayttttbtt)",
                                       (0, 0, 0, 0, 0, 0, 0, [], 0, 0, 0, 0, False, 0, 0))})
    ts.set("PollIntervalUSec", GLib.Variant("t", 32_000_000))
    wait_prop(clock, "NTPPollIntervalUSec", 32_000_000)
    p = clock.props()
    assert p["NTPSource"] == "timesyncd"
    assert (p["NTPServerName"], p["NTPServerAddress"], p["NTPStratum"]) == ("", "", 0)
    assert p["NTPLastMessageUSec"] == 0


def test_ntp_counts_only_while_the_estimated_error_is_small(ts_bed):
    bed, clock, mock = ts_bed()
    # The fake kernel's default while synchronized: 1 ms estimated, below the 100 ms limit.
    assert clock.prop("NTPMaxErrorUSec") == 100_000
    assert clock.prop("EstimatedErrorUSec") == 1000
    assert clock.prop("Reliability") == "high"

    # 250 ms: NTP no longer counts, and with no sync the level is none.
    bed.fakeclock.set(esterror_us=250_000, maxerror_us=400_000)
    assert clock.wait_changed("Reliability", timeout=20, value="none") == "none"
    assert clock.prop("NTPSynchronized") is True
    assert clock.prop("EstimatedErrorUSec") == 250_000
    assert clock.prop("MaxErrorUSec") == 400_000
    why = "its estimated error of 250.000 ms is not below the limit of 100.000 ms"
    harness.wait_until(lambda: why in clockd_log(bed), 20,
                       "clockd to say why NTP stopped counting")

    # A trusted sync still counts on its own, by the usual windows.
    clock.call("Confirm", "xs", 1000, "manual")
    assert clock.wait_changed("Reliability", timeout=20, value="high") == "high"
    assert clock.prop("ReliableUntilUSec") > 0

    # Just below the limit: NTP counts again (no window: ReliableUntilUSec is 0).
    bed.fakeclock.set(esterror_us=99_999)
    harness.wait_until(lambda: "NTP now makes the clock reliable" in clockd_log(bed), 20,
                       "clockd to say that NTP counts again")
    assert clock.prop("Reliability") == "high"
    assert clock.prop("ReliableUntilUSec") == 0


def test_ntp_max_error_is_configurable(make_testbed):
    bed = make_testbed(ntp_synced=True, env=dict(FAST, PICAMSYNC_NTP_MAX_ERROR="1"))
    client = BusClient(bed.bus.address)
    try:
        clock = ClockProxy(client)
        assert clock.prop("NTPMaxErrorUSec") == 1000
        # 1 ms estimated is not below a 1 ms limit.
        assert clock.prop("Reliability") == "none"
        bed.fakeclock.set(esterror_us=999)
        harness.wait_until(lambda: clock.prop("Reliability") == "high", 20,
                           "NTP to count below 1 ms")
    finally:
        client.close()


def test_timesyncd_already_running_when_clockd_starts(make_testbed, ts_policy_dir):
    bed = make_testbed(start=False, ntp_synced=True, policy_dir=ts_policy_dir, env=FAST)
    ts = TimesyncdMock(bed)
    client = None
    try:
        ts.serve(name="pi-zero.lan")
        bed.start_clockd()
        client = BusClient(bed.bus.address)
        clock = ClockProxy(client)
        # clockd asks who owns the name at start, then reads the properties once.
        wait_prop(clock, "NTPServerName", "pi-zero.lan")
        assert clock.prop("NTPSource") == "timesyncd"
        assert clock.prop("NTPServerAddress") == "192.168.4.2"
    finally:
        if client:
            client.close()
        ts.stop()

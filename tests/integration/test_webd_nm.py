# SPDX-License-Identifier: LGPL-2.1-or-later
"""webd finds the Pi's access point through NetworkManager (libnm): python-dbusmock's
NetworkManager template on the testbed's private bus, a Wi-Fi device whose interface is `lo`
(so that a 127.0.0.1 client is on it) and PICAMSYNC_AP_INTERFACES=none. While NetworkManager
runs the device as an access point a client is an AP client and is checked at once; when the
device leaves AP mode, is deactivated or is removed, or NetworkManager goes, a new client is a
LAN client and is not checked."""

import glob
import os
import shutil
import subprocess

import pytest

import picamsync_testbed as harness
from busclient import BusClient
from gi.repository import GLib
from testbed_clients import TWO_HOURS_MS, Client, is_event

NM = "org.freedesktop.NetworkManager"
NM_PATH = "/org/freedesktop/NetworkManager"
DEVICE = NM + ".Device"
WIFI = NM + ".Device.Wireless"
MOCK = ("/org/freedesktop", "org.freedesktop.DBus.Mock")
PROPS = "org.freedesktop.DBus.Properties"
MODE_INFRA, MODE_AP = 2, 3
STATE_DISCONNECTED, STATE_ACTIVATED = 30, 100
NO_AP = {"PICAMSYNC_AP_INTERFACES": "none"}

# What NetworkManager's own policy grants every user, narrowed to what webd needs (reading
# properties and objects, receiving signals); root may do everything, which here includes the
# mock's control interface. webd runs as picamsync-web, so the test proves that reading is enough.
NM_POLICY = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <allow own="org.freedesktop.NetworkManager"/>
    <allow send_destination="org.freedesktop.NetworkManager"/>
  </policy>
  <policy context="default">
    <deny own="org.freedesktop.NetworkManager"/>
    <allow send_destination="org.freedesktop.NetworkManager"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.NetworkManager"
           send_interface="org.freedesktop.DBus.Peer"/>
    <allow send_destination="org.freedesktop.NetworkManager"
           send_interface="org.freedesktop.DBus.Properties" send_member="Get"/>
    <allow send_destination="org.freedesktop.NetworkManager"
           send_interface="org.freedesktop.DBus.Properties" send_member="GetAll"/>
    <allow send_destination="org.freedesktop.NetworkManager"
           send_interface="org.freedesktop.DBus.ObjectManager"
           send_member="GetManagedObjects"/>
  </policy>
</busconfig>
"""


@pytest.fixture
def nm_policy_dir(tmp_path):
    """The project's policy files and, beside them, NetworkManager's."""
    d = tmp_path / "policy"
    d.mkdir()
    for f in glob.glob(os.path.join(harness.SRCDIR, "dbus-policy", "*.conf")):
        shutil.copy(f, d)
    (d / "org.freedesktop.NetworkManager.conf").write_text(NM_POLICY)
    os.chmod(tmp_path, 0o755)
    return str(d)


class NmMock:
    """python-dbusmock's NetworkManager template, as root, on the testbed's bus."""

    def __init__(self, bed):
        self.bed = bed
        self.log_path = os.path.join(bed.workdir, "nm-mock.log")
        self._log = open(self.log_path, "w")
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bed.bus.address)
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", "-m", "dbusmock", "--system", "--template", "networkmanager"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        harness.wait_until(
            lambda: self.proc.poll() is not None or harness.bus_name_has_owner(bed.bus.address,
                                                                               NM),
            15, "the NetworkManager mock to take its name")
        assert self.proc.poll() is None, open(self.log_path).read()
        self.bus = BusClient(bed.bus.address)

    def add_wifi(self, name, ifname, mode, state=STATE_ACTIVATED):
        path = self.bus.call(NM, *MOCK, "AddWiFiDevice", "ssi", (name, ifname, state))[0]
        self.set(path, WIFI, "Mode", GLib.Variant("u", mode))
        return path

    def set(self, path, iface, prop, value):
        self.bus.call(NM, path, PROPS, "Set", "ssv", (iface, prop, value))

    def set_state(self, path, state):
        """As NetworkManager does: State and StateReason (which is what libnm reads)."""
        self.set(path, DEVICE, "State", GLib.Variant("u", state))
        self.set(path, DEVICE, "StateReason", GLib.Variant("(uu)", (state, 0)))

    def remove(self, path):
        devices = [d for d in self.bus.get(NM, NM_PATH, NM, "Devices") if d != path]
        self.set(NM_PATH, NM, "Devices", GLib.Variant("ao", devices))
        self.bus.call(NM, NM_PATH, "org.freedesktop.DBus.Mock", "EmitSignal", "sssav",
                      (NM, "DeviceRemoved", "o", [GLib.Variant("o", path)]))
        self.bus.call(NM, *MOCK, "RemoveObject", "s", (path,))

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
def nm_bed(make_testbed, nm_policy_dir):
    mocks = []

    def make(mock_first=True):
        bed = make_testbed(pi_offset_ms=-TWO_HOURS_MS, policy_dir=nm_policy_dir)
        mock = NmMock(bed) if mock_first else None
        bed.start_webd(NO_AP)
        if mock:
            mocks.append(mock)
        return bed, mock, mocks

    yield make
    for m in mocks:
        m.stop()


def webd_log(bed):
    return bed.daemons["webd"].log()


def wait_log(bed, text, count=1, timeout=20):
    harness.wait_until(lambda: webd_log(bed).count(text) >= count, timeout,
                       f"webd to log {text!r} ({count}x); its log:\n{webd_log(bed)}")


def assert_ap_and_checked(bed):
    c = Client(bed)
    try:
        assert c.welcome()["interface"] == "ap", webd_log(bed)
        ev = c.wait_pi_sync()
        assert ev["data"]["source"] == "client-ap"
        assert any(m["type"] == "time-sync-request" for m in c.messages)
    finally:
        c.close()


def assert_lan_and_not_checked(bed):
    c = Client(bed)
    try:
        assert c.welcome()["interface"] == "lan", webd_log(bed)
        # An AP client's check starts right after welcome: three seconds is plenty to see one.
        got = c.messages_for(3)
        assert not [m for m in got if m["type"] == "time-sync-request"], got
        assert not [m for m in got if m["type"] == "event" and m["eventType"] == "pi-sync"]
    finally:
        c.close()


def test_without_networkmanager_a_local_client_is_lan(make_testbed):
    bed = make_testbed(pi_offset_ms=-TWO_HOURS_MS)
    bed.start_webd(NO_AP)
    wait_log(bed, "NetworkManager is not running")
    assert_lan_and_not_checked(bed)
    log = webd_log(bed)
    # One info line, no warnings or libnm noise about the missing service.
    assert log.count("NetworkManager") == 1, log
    assert "libnm" not in log, log


def test_access_point_device_makes_ap_clients(nm_bed):
    bed, mock, _ = nm_bed()
    wait_log(bed, "NetworkManager is running")
    dev = mock.add_wifi("wlan_ap", "lo", MODE_AP)
    wait_log(bed, "NetworkManager access points: lo (before: none)")
    assert_ap_and_checked(bed)

    # Out of access-point mode (a client of another network): LAN.
    mock.set(dev, WIFI, "Mode", GLib.Variant("u", MODE_INFRA))
    wait_log(bed, "NetworkManager access points: none (before: lo)")
    assert_lan_and_not_checked(bed)

    # Back to AP, then deactivated: LAN.
    mock.set(dev, WIFI, "Mode", GLib.Variant("u", MODE_AP))
    wait_log(bed, "NetworkManager access points: lo (before: none)", 2)
    mock.set_state(dev, STATE_DISCONNECTED)
    wait_log(bed, "NetworkManager access points: none (before: lo)", 2)
    assert_lan_and_not_checked(bed)

    # Activated again: AP; then the device goes away: LAN.
    mock.set_state(dev, STATE_ACTIVATED)
    wait_log(bed, "NetworkManager access points: lo (before: none)", 3)
    assert_ap_and_checked(bed)
    mock.remove(dev)
    wait_log(bed, "NetworkManager access points: none (before: lo)", 3)
    assert_lan_and_not_checked(bed)


def test_a_wifi_client_device_is_not_an_access_point(nm_bed):
    bed, mock, _ = nm_bed()
    wait_log(bed, "NetworkManager is running")
    mock.add_wifi("wlan_sta", "lo", MODE_INFRA)
    # A second device (in AP mode, on an interface that has no client here) is listed, the
    # station on lo is not.
    mock.add_wifi("wlan_ap", "ap-none", MODE_AP)
    wait_log(bed, "NetworkManager access points: ap-none (before: none)")
    assert_lan_and_not_checked(bed)


def test_networkmanager_that_starts_and_stops_later(nm_bed):
    bed, _, mocks = nm_bed(mock_first=False)
    wait_log(bed, "NetworkManager is not running")
    mock = NmMock(bed)
    mocks.append(mock)
    wait_log(bed, "NetworkManager is running")
    mock.add_wifi("wlan_ap", "lo", MODE_AP)
    wait_log(bed, "NetworkManager access points: lo (before: none)")
    assert_ap_and_checked(bed)
    mock.stop()
    wait_log(bed, "NetworkManager stopped")
    wait_log(bed, "NetworkManager access points: none (before: lo)")
    assert_lan_and_not_checked(bed)


def test_bus_gone_with_libnm_loaded(nm_bed):
    """Outcome: with libnm loaded (NetworkManager on the bus), the bus going away still ends webd
    with status 1 and its sentence, so that Restart=on-failure starts it again: libnm's GDBus
    connection no longer raises SIGTERM, which made webd exit with success
    (docs/architecture.md, "When the bus goes away")."""
    bed, mock, _ = nm_bed()
    wait_log(bed, "NetworkManager is running")
    webd = bed.daemons.pop("webd")  # its exit status is checked here
    clockd = bed.daemons.pop("clockd")
    mock.bus.close()
    mock.bus = None
    bed.bus.stop()
    for d in (webd, clockd):
        d.proc.wait(60)
        log = d.log()
        assert d.proc.returncode == 1, log
        assert "Lost the connection to the system bus" in log, log
        assert "Sanitizer" not in log and "runtime error:" not in log, log

# SPDX-License-Identifier: LGPL-2.1-or-later
"""picamsyncctl ap setup | status | remove against python-dbusmock's NetworkManager template on a
private system bus (DBUS_SYSTEM_BUS_ADDRESS; never the machine's bus, no radio needed), with the
dnsmasq snippet folder and the lease file in the test's directory (PICAMSYNC_AP_DNSMASQ_DIR,
PICAMSYNC_AP_LEASES_FILE). docs/access-point.md describes what is checked here.

The template has AddConnection, Update and Delete, but not Update2, which libnm's
nm_remote_connection_commit_changes_async() calls: `Mock.allow_update2()` gives every
connection object an Update2 that does what NetworkManager's does: replace the settings."""

import json
import os
import shutil
import subprocess
import tempfile
import types

import pytest

import picamsync_testbed as harness
from test_webd_nm import NM, NM_PATH, NmMock

SETTINGS = NM_PATH + "/Settings"
SETTINGS_IFACE = NM + ".Settings"
CONN_IFACE = NM + ".Settings.Connection"
MOCK_IFACE = "org.freedesktop.DBus.Mock"
STATE_ACTIVATED = 100
NOBODY = 65534

# NetworkManager lets every user read the profiles that are visible to all (empty
# connection.permissions) and asks polkit before it changes one; polkit says no to a user
# without a local session. Here the bus policy says the same: root may do everything (the mock's
# control interface included), others may read.
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
    <allow send_destination="org.freedesktop.NetworkManager"
           send_interface="org.freedesktop.NetworkManager.Settings.Connection"
           send_member="GetSettings"/>
  </policy>
</busconfig>
"""
SSID = "picamsync"
PASS = "correct horse battery"


def ctl_path():
    return os.path.join(harness.default_builddir(), "ctl", "picamsyncctl")


class Pi:
    """One private bus, its NetworkManager mock (once started) and the files ap setup touches."""

    def __init__(self):
        # Not under pytest's tmp_path, whose parents only root may enter: another user's
        # commands reach the bus too.
        self.dir = tempfile.mkdtemp(prefix="picamsync-ctl-ap-")
        os.chmod(self.dir, 0o755)
        policy = os.path.join(self.dir, "policy")
        os.mkdir(policy)
        with open(os.path.join(policy, "org.freedesktop.NetworkManager.conf"), "w") as f:
            f.write(NM_POLICY)
        self.bus = harness.PrivateBus(self.dir, policy)
        self.snippet_dir = os.path.join(self.dir, "dnsmasq-shared.d")
        self.snippet = os.path.join(self.snippet_dir, "picamsync-ap.conf")
        self.leases = os.path.join(self.dir, "dnsmasq-ap0.leases")
        self.mock = None

    def start_nm(self):
        self.mock = NmMock(types.SimpleNamespace(bus=self.bus, workdir=self.dir))
        return self.mock

    def env(self, **extra):
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus.address,
                   PICAMSYNC_AP_DNSMASQ_DIR=self.snippet_dir, PICAMSYNC_AP_LEASES_FILE=self.leases,
                   NO_COLOR="1")
        env.pop("PICAMSYNC_BUS_ADDRESS", None)
        env.update(extra)
        return env

    def ctl(self, *args, env=None, user=None):
        argv = [ctl_path(), *args]
        if user:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
        r = subprocess.run(argv, env=env or self.env(), capture_output=True, text=True,
                           timeout=60)
        if self.mock:
            self.allow_update2()
        return r

    def ctl_json(self, *args):
        r = self.ctl("--json", *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    # --- the mock's side -------------------------------------------------------------------

    def connections(self):
        return list(self.mock.bus.get(NM, SETTINGS, SETTINGS_IFACE, "Connections"))

    def settings(self, path=None):
        """The profile as NetworkManager received it (GetSettings on the connection object)."""
        paths = self.connections()
        assert len(paths) == 1, paths
        return self.mock.bus.call(NM, path or paths[0], CONN_IFACE, "GetSettings")[0]

    def allow_update2(self):
        code = ("self.settings = args[0]\n"
                f"self.EmitSignal('{CONN_IFACE}', 'Updated', '', [])\n"
                "ret = {}")
        for path in self.connections():
            methods = self.mock.bus.introspect(NM, path)
            if "Update2" not in methods:
                self.mock.bus.call(NM, path, MOCK_IFACE, "AddMethod", "sssss",
                                   (CONN_IFACE, "Update2", "a{sa{sv}}ua{sv}", "a{sv}", code))

    def stop(self):
        if self.mock:
            self.mock.stop()
        self.bus.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def pi():
    p = Pi()
    yield p
    p.stop()


@pytest.fixture
def nm(pi):
    pi.start_nm()
    return pi


def setup_args(*extra, ssid=SSID, passphrase=PASS):
    return ["ap", "setup", "--ssid", ssid, "--passphrase", passphrase, *extra]


def expected_settings(uuid, ssid=SSID, passphrase=PASS, channel=6, address="192.168.4.1",
                      prefix=24):
    """Every key NetworkManager receives from ap setup. libnm leaves out what has its default
    value: connection.autoconnect (yes), 802-11-wireless-security.psk-flags (0: NetworkManager
    keeps the PSK), a channel of 0 (NetworkManager picks)."""
    wifi = {"ssid": list(ssid.encode()), "mode": "ap", "band": "bg",
            "security": "802-11-wireless-security", "mac-address-blacklist": []}
    if channel:
        wifi["channel"] = channel
    return {
        "connection": {"id": "picamsync-ap", "uuid": uuid, "type": "802-11-wireless",
                       "interface-name": "ap0", "permissions": []},
        "802-11-wireless": wifi,
        "802-11-wireless-security": {"key-mgmt": "wpa-psk", "proto": ["rsn"],
                                     "pairwise": ["ccmp"], "group": ["ccmp"],
                                     "psk": passphrase},
        "ipv4": {"method": "shared", "address-data": [{"address": address, "prefix": prefix}],
                 "dns-search": [], "route-data": []},
        "ipv6": {"method": "disabled", "address-data": [], "dns-search": [], "route-data": []},
    }


def normalized(settings):
    """GLib unpacks "ay" as bytes or a list, depending on the version: make it a list."""
    out = json.loads(json.dumps(settings, default=list))
    return out


def test_setup_sends_every_key(nm):
    r = nm.ctl(*setup_args("--channel", "6", "--address", "192.168.4.1/24", "--ntp-server",
                           "192.168.4.1"))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert 'Created the access point profile "picamsync-ap" on ap0.' in out
    assert 'SSID "picamsync"' in out and "channel 6" in out and "192.168.4.1/24" in out
    assert "NTP server 192.168.4.1" in out
    # There is no ap0 here: the profile waits for it.
    assert ("ap0 does not exist yet: it appears at the next boot, or now with \"systemctl start "
            "picamsync-ap0.service\"") in out
    assert out.rstrip().endswith("To undo: picamsyncctl ap remove")
    assert PASS not in out and r.stderr == ""

    got = normalized(nm.settings())
    uuid = got["connection"]["uuid"]
    assert len(uuid) == 36
    assert got == expected_settings(uuid)
    assert got["connection"].get("autoconnect", True) is True

    with open(nm.snippet) as f:
        snippet = f.read()
    assert "\ndhcp-option=option:ntp-server,192.168.4.1\n" in snippet
    assert [line for line in snippet.splitlines() if not line.startswith("#")] == [
        "dhcp-option=option:ntp-server,192.168.4.1"]
    assert oct(os.stat(nm.snippet).st_mode & 0o777) == "0o644"


def test_setup_defaults(nm):
    r = nm.ctl(*setup_args())
    assert r.returncode == 0, r.stderr
    assert "channel chosen by NetworkManager" in r.stdout
    got = normalized(nm.settings())
    assert got == expected_settings(got["connection"]["uuid"], channel=0)
    assert "channel" not in got["802-11-wireless"]
    assert not os.path.exists(nm.snippet)
    # A 64-digit hexadecimal key is taken as it is.
    key = "0123456789abcdef" * 4
    r = nm.ctl(*setup_args("--address", "10.3.0.254/16", passphrase=key))
    assert r.returncode == 0, r.stderr
    got = normalized(nm.settings())
    assert got == expected_settings(got["connection"]["uuid"], channel=0, passphrase=key,
                                    address="10.3.0.254", prefix=16)


def test_setup_is_idempotent_and_updates(nm):
    first = nm.ctl_json(*setup_args("--channel", "6"))
    assert first["result"] == "created" and first["profileResult"] == "created"
    before = normalized(nm.settings())

    r = nm.ctl(*setup_args("--channel", "6"))
    assert r.returncode == 0, r.stderr
    assert 'The access point profile "picamsync-ap" on ap0 is already as asked; nothing changed.' \
        in r.stdout
    assert "To undo: picamsyncctl ap remove" in r.stdout
    again = nm.ctl_json(*setup_args("--channel", "6"))
    assert again["result"] == "unchanged" and again["profileResult"] == "unchanged"
    assert len(nm.connections()) == 1
    assert normalized(nm.settings()) == before

    # A new SSID updates the same profile (same object, same uuid).
    path = nm.connections()[0]
    r = nm.ctl(*setup_args("--channel", "6", ssid="picamsync-2"))
    assert r.returncode == 0, r.stderr
    assert 'Updated the access point profile "picamsync-ap" on ap0.' in r.stdout
    assert nm.connections() == [path]
    uuid = before["connection"]["uuid"]
    assert normalized(nm.settings()) == expected_settings(uuid, ssid="picamsync-2")

    # Without --channel again: the channel goes (NetworkManager picks one).
    upd = nm.ctl_json(*setup_args(ssid="picamsync-2"))
    assert upd["result"] == "updated"
    assert upd["profile"]["channel"] is None
    assert normalized(nm.settings()) == expected_settings(uuid, ssid="picamsync-2", channel=0)
    # A new passphrase is a change too.
    assert nm.ctl_json(*setup_args(ssid="picamsync-2", passphrase="another one"))["result"] == \
        "updated"
    assert nm.ctl_json(*setup_args(ssid="picamsync-2", passphrase="another one"))["result"] == \
        "unchanged"
    assert nm.connections() == [path]


def test_setup_json(nm):
    got = nm.ctl_json(*setup_args("--channel", "11", "--ntp-server", "192.168.4.1"))
    uuid = normalized(nm.settings())["connection"]["uuid"]
    assert got == {
        "result": "created",
        "profileResult": "created",
        "profile": {"id": "picamsync-ap", "uuid": uuid, "interface": "ap0", "ssid": SSID,
                    "mode": "ap", "band": "bg", "channel": 11, "address": "192.168.4.1/24",
                    "ipv4Method": "shared", "autoconnect": True},
        "ntpServer": "192.168.4.1",
        "ntpSnippet": {"path": nm.snippet, "result": "written"},
        "interface": {"name": "ap0", "exists": False},
        "active": False,
        "undo": "picamsyncctl ap remove",
    }


def test_ntp_snippet_follows_the_option(nm):
    assert nm.ctl_json(*setup_args("--ntp-server", "192.168.4.1"))["ntpSnippet"]["result"] == \
        "written"
    assert os.path.exists(nm.snippet)
    same = nm.ctl_json(*setup_args("--ntp-server", "192.168.4.1"))
    assert same["result"] == "unchanged" and same["ntpSnippet"]["result"] == "unchanged"
    # Another server: rewritten; the profile itself is unchanged.
    other = nm.ctl_json(*setup_args("--ntp-server", "192.168.4.2"))
    assert other["result"] == "updated" and other["profileResult"] == "unchanged"
    assert other["ntpSnippet"]["result"] == "written"
    assert "option:ntp-server,192.168.4.2\n" in open(nm.snippet).read()
    r = nm.ctl(*setup_args("--ntp-server", "192.168.4.3"))
    assert r.returncode == 0, r.stderr
    assert 'The access point profile "picamsync-ap" on ap0 is already as asked.\n' in r.stdout
    assert "nothing changed" not in r.stdout
    assert "NTP server 192.168.4.3 (DHCP option 42, written to" in r.stdout
    # Without --ntp-server: the file goes, and the output says so.
    r = nm.ctl(*setup_args())
    assert r.returncode == 0, r.stderr
    assert f"Stations are no longer told of an NTP server (removed {nm.snippet})." in r.stdout
    assert not os.path.exists(nm.snippet)
    gone = nm.ctl_json(*setup_args())
    assert gone["ntpSnippet"]["result"] == "absent" and gone["ntpServer"] is None
    assert gone["result"] == "unchanged"


BAD = [
    (["--ssid", "", "--passphrase", PASS], "The SSID is empty"),
    (["--ssid", "x" * 33, "--passphrase", PASS], "33 bytes"),
    (["--ssid", "bad\tname", "--passphrase", PASS], "control character"),
    (["--ssid", SSID, "--passphrase", "1234567"], "7 characters; WPA2 needs 8 to 63"),
    (["--ssid", SSID, "--passphrase", "x" * 64], "64 characters"),
    (["--ssid", SSID, "--passphrase", "passwört1"], "printable ASCII"),
    (["--ssid", SSID, "--passphrase", PASS, "--channel", "0"], "give 1 to 13"),
    (["--ssid", SSID, "--passphrase", PASS, "--channel", "14"], "give 1 to 13"),
    (["--ssid", SSID, "--passphrase", PASS, "--channel", "36"], "give 1 to 13"),
    (["--ssid", SSID, "--passphrase", PASS, "--channel", "six"], "not a channel number"),
    (["--ssid", SSID, "--passphrase", PASS, "--address", "192.168.4.1"], "no prefix length"),
    (["--ssid", SSID, "--passphrase", PASS, "--address", "300.1.1.1/24"], "not an IPv4"),
    (["--ssid", SSID, "--passphrase", PASS, "--address", "192.168.4.0/24"], "network address"),
    (["--ssid", SSID, "--passphrase", PASS, "--address", "192.168.4.255/24"], "broadcast"),
    (["--ssid", SSID, "--passphrase", PASS, "--address", "192.168.4.1/31"], "no addresses"),
    (["--ssid", SSID, "--passphrase", PASS, "--address", "127.0.0.1/8"], "loopback"),
    (["--ssid", SSID, "--passphrase", PASS, "--ntp-server", "pool.ntp.org"], "not an IPv4"),
    (["--ssid", SSID, "--passphrase", PASS, "--ntp-server", "0.0.0.0"], "cannot be an NTP"),
    (["--ssid", SSID, "--passphrase", PASS, "--ntp-server", "224.0.0.1"], "cannot be an NTP"),
    (["--passphrase", PASS], "needs --ssid NAME and --passphrase PASS"),
    (["--ssid", SSID], "needs --ssid NAME and --passphrase PASS"),
    (["--ssid", SSID, "--passphrase", PASS, "--band", "a"], "Unknown option --band"),
    (["--ssid", SSID, "--passphrase", PASS, "extra"], "takes no argument \"extra\""),
    (["--ssid", SSID, "--passphrase"], "--passphrase needs a value"),
]


@pytest.mark.parametrize("args,words", BAD, ids=[w for _, w in BAD])
def test_bad_input_changes_nothing(nm, args, words):
    r = nm.ctl("ap", "setup", *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("picamsyncctl: "), r.stderr
    assert words in lines[0], lines[0]
    assert nm.connections() == []
    assert not os.path.exists(nm.snippet_dir)


def test_bad_input_leaves_an_existing_profile(nm):
    assert nm.ctl(*setup_args("--channel", "6", "--ntp-server", "192.168.4.1")).returncode == 0
    before = normalized(nm.settings())
    snippet = open(nm.snippet).read()
    for args, _ in BAD:
        assert nm.ctl("ap", "setup", *args).returncode == 2, args
    assert normalized(nm.settings()) == before
    assert open(nm.snippet).read() == snippet


def test_without_networkmanager(pi):
    """Nothing owns NetworkManager's name on the bus: every ap command says so, exit 1."""
    for args in (setup_args("--ntp-server", "192.168.4.1"), ["ap", "status"], ["ap", "remove"],
                 ["--json", "ap", "status"]):
        r = pi.ctl(*args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert r.stdout == ""
        assert r.stderr.splitlines() == [
            "picamsyncctl: NetworkManager is not running, and the access point is one of its "
            "profiles. Start it (systemctl start NetworkManager) and try again."]
    assert not os.path.exists(pi.snippet_dir)
    # Bad input is still bad input (2), checked before NetworkManager is asked.
    assert pi.ctl("ap", "setup", "--ssid", SSID, "--passphrase", "short").returncode == 2


def test_without_a_bus(pi):
    env = pi.env(DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + os.path.join(pi.dir, "no-such-bus"))
    r = pi.ctl("ap", "status", env=env)
    assert r.returncode == 1
    assert r.stderr.startswith("picamsyncctl: Could not reach NetworkManager on the system bus:")
    assert len(r.stderr.splitlines()) == 1


def test_status_without_profile(nm):
    r = nm.ctl("ap", "status")
    assert r.returncode == 0, r.stderr
    assert "Profile: none; make one with: picamsyncctl ap setup --ssid NAME --passphrase PASS" \
        in r.stdout
    assert "Interface: ap0, does not exist (systemctl start picamsync-ap0.service)" in r.stdout
    assert "Stations: 0" in r.stdout
    assert nm.ctl_json("ap", "status") == {
        "interface": {"name": "ap0", "exists": False, "state": None},
        "profile": None,
        "active": False,
        "ntpServer": None,
        "stations": 0,
        "stationsSource": nm.leases,
    }


def test_status_of_a_running_access_point(nm):
    assert nm.ctl(*setup_args("--channel", "6", "--ntp-server", "192.168.4.1")).returncode == 0
    conn = nm.connections()[0]
    uuid = normalized(nm.settings())["connection"]["uuid"]
    # ap0 appears and NetworkManager runs the profile on it.
    dev = nm.mock.add_wifi("ap0", "ap0", 3, state=STATE_ACTIVATED)
    nm.mock.bus.call(NM, "/org/freedesktop", MOCK_IFACE, "AddActiveConnection", "assssu",
                     ([dev], conn, "/", "0", 2))
    with open(nm.leases, "w") as f:
        f.write("1796600000 02:00:00:00:00:20 192.168.4.20 phone 01:02:00:00:00:00:20\n"
                "1796600100 02:00:00:00:00:07 192.168.4.7 * *\n"
                "duid 00:01:00:01:2c:aa:bb:cc\n")

    r = nm.ctl("ap", "status")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "    Profile: picamsync-ap (NetworkManager)",
        "  Interface: ap0, activated",
        "       SSID: picamsync",
        "    Channel: 6 (2.4 GHz)",
        "    Address: 192.168.4.1/24",
        "     Active: yes",
        " NTP server: 192.168.4.1",
        f"   Stations: 2 (DHCP leases in {nm.leases})",
    ]
    assert nm.ctl_json("ap", "status") == {
        "interface": {"name": "ap0", "exists": True, "state": "activated"},
        "profile": {"id": "picamsync-ap", "uuid": uuid, "interface": "ap0", "ssid": SSID,
                    "mode": "ap", "band": "bg", "channel": 6, "address": "192.168.4.1/24",
                    "ipv4Method": "shared", "autoconnect": True},
        "active": True,
        "ntpServer": "192.168.4.1",
        "stations": 2,
        "stationsSource": nm.leases,
    }

    # A change now applies when the access point next starts, and the output says how.
    r = nm.ctl(*setup_args("--channel", "11", "--ntp-server", "192.168.4.1"))
    assert r.returncode == 0, r.stderr
    assert "they apply when it next starts (\"nmcli connection up picamsync-ap\"" in r.stdout
    assert "does not exist" not in r.stdout


def test_setup_when_ap0_exists(nm):
    nm.mock.add_wifi("ap0", "ap0", 3, state=30)
    r = nm.ctl(*setup_args())
    assert r.returncode == 0, r.stderr
    assert "NetworkManager starts the access point on ap0 by itself (autoconnect)." in r.stdout
    assert "does not exist" not in r.stdout
    assert nm.ctl_json("ap", "status")["interface"] == {"name": "ap0", "exists": True,
                                                        "state": "disconnected"}


def test_remove_twice(nm):
    assert nm.ctl(*setup_args("--ntp-server", "192.168.4.1")).returncode == 0
    r = nm.ctl("ap", "remove")
    assert r.returncode == 0, r.stderr
    assert 'Removed the access point profile "picamsync-ap"' in r.stdout
    assert f"Removed the NTP announcement {nm.snippet}." in r.stdout
    assert nm.connections() == []
    assert not os.path.exists(nm.snippet)
    r = nm.ctl("ap", "remove")
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'There is no access point profile "picamsync-ap"; nothing to remove.\n'
    assert nm.ctl_json("ap", "remove") == {"result": "nothing-to-remove", "profilesRemoved": 0,
                                           "ntpSnippetRemoved": False}
    assert nm.ctl(*setup_args()).returncode == 0
    assert nm.ctl_json("ap", "remove") == {"result": "removed", "profilesRemoved": 1,
                                           "ntpSnippetRemoved": False}


def test_copies_of_the_profile_become_one(nm):
    """Two profiles named picamsync-ap (made by hand, say): setup keeps one, remove takes all."""
    for _ in range(2):
        nm.mock.bus.call(NM, SETTINGS, SETTINGS_IFACE, "AddConnection", "a{sa{sv}}", ({
            "connection": {"id": GLib_s("picamsync-ap"), "type": GLib_s("802-11-wireless")}},))
    nm.allow_update2()
    assert len(nm.connections()) == 2
    assert nm.ctl_json(*setup_args())["result"] == "updated"
    assert len(nm.connections()) == 1
    got = normalized(nm.settings())
    assert got == expected_settings(got["connection"]["uuid"], channel=0)
    assert nm.ctl_json(*setup_args())["result"] == "unchanged"


def GLib_s(text):
    from gi.repository import GLib
    return GLib.Variant("s", text)


def test_global_address_reaches_networkmanager(nm):
    """--address before "ap" picks the bus; after "ap setup" it is the access point's address."""
    env = nm.env(DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + os.path.join(nm.dir, "no-such-bus"))
    r = nm.ctl("--address", nm.bus.address, "ap", "setup", "--ssid", SSID, "--passphrase", PASS,
               "--address", "10.9.8.1/24", env=env)
    assert r.returncode == 0, r.stderr
    assert normalized(nm.settings())["ipv4"]["address-data"] == [{"address": "10.9.8.1",
                                                                  "prefix": 24}]


def test_reading_needs_no_privilege_changing_does(nm):
    """NetworkManager's bus policy lets everyone read; only root may change profiles."""
    assert nm.ctl(*setup_args()).returncode == 0
    r = nm.ctl("--json", "ap", "status", user=NOBODY)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["profile"]["ssid"] == SSID
    r = nm.ctl(*setup_args(ssid="other"), user=NOBODY)
    assert r.returncode == 1
    assert r.stderr.startswith("picamsyncctl: NetworkManager did not let this user update the "
                               "access point profile"), r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert normalized(nm.settings())["802-11-wireless"]["ssid"] == list(SSID.encode())
    r = nm.ctl(*setup_args("--ntp-server", "192.168.4.1"), user=NOBODY)
    assert r.returncode == 1
    assert "Nothing was changed; run as root." in r.stderr

# SPDX-License-Identifier: LGPL-2.1-or-later
"""The bus policy files (dbus-policy/) and clockd's own caller check, with clients run as the
system users created from units/sysusers.d/."""

import grp
import json
import os
import pwd
import subprocess
import tempfile

import pytest

import picamsync_testbed as harness
from busclient import BusClient
from conftest import ClockProxy

DEST = ["org.picamsync.Clock1", "/org/picamsync/Clock1"]
IFACE = "org.picamsync.Clock1"


def as_user(user):
    """setpriv prefix that runs a command as `user` with that user's own groups."""
    pw = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups", "--"]


BUS_CALL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness",
                        "bus_call.py")


def call_as(user, address, dest, path, iface, method, signature=None, args=()):
    """A call made by `user`; returns (ok, error name, message or reply)."""
    cmd = ["/usr/bin/python3", BUS_CALL, address, dest, path, iface, method]
    if signature is not None:
        cmd += [signature, json.dumps(list(args))]
    if user != "root":
        cmd = as_user(user) + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    return out["ok"], out.get("error"), out.get("message", out.get("reply"))


def busctl_as(user, address, *args):
    cmd = ["busctl", f"--address={address}", *args]
    if user != "root":
        cmd = as_user(user) + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


CHANGING = ["StepTime", "SetTime", "Confirm", "SetTimezone"]
# What members of the picamsync group may do by hand (picamsyncctl set-time, set-timezone);
# StepTime and Confirm stay webd's.
BY_HAND = ["SetTime", "SetTimezone"]
MEMBER = "picamsync-test-member"
OTHER = "picamsync-test-other"


def ensure_system_user(name, member):
    """A system user (no home, no login) that is or is not in the group picamsync; made once,
    corrected if an earlier run left it otherwise."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/",
                        "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)
    in_group = name in grp.getgrnam("picamsync").gr_mem
    if member and not in_group:
        subprocess.run(["usermod", "--append", "--groups", "picamsync", name], check=True,
                       capture_output=True)
    elif not member and in_group:
        subprocess.run(["gpasswd", "--delete", name, "picamsync"], check=True,
                       capture_output=True)


@pytest.fixture(scope="module")
def group_users():
    """picamsync-test-member is in the group picamsync (created by the sysusers.d entry with the
    other system users), picamsync-test-other is not."""
    harness.create_system_users()
    ensure_system_user(MEMBER, True)
    ensure_system_user(OTHER, False)
    assert MEMBER in grp.getgrnam("picamsync").gr_mem
    assert OTHER not in grp.getgrnam("picamsync").gr_mem
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"


def changing_call(method):
    if method == "SetTime":
        import time
        return "xs", [time.clock_gettime_ns(time.CLOCK_REALTIME) // 1000, "manual"]
    return {"StepTime": ("xs", [1000000, "manual"]), "Confirm": ("xs", [1000, "manual"]),
            "SetTimezone": ("s", ["Europe/Berlin"])}[method]


@pytest.mark.parametrize("user", ["root", "picamsync-web"])
@pytest.mark.parametrize("method", CHANGING)
def test_allowed_users_may_change_the_clock(testbed, user, method):
    ok, error, message = call_as(user, testbed.bus.address, *DEST, IFACE, method,
                                 *changing_call(method))
    assert ok, f"{error}: {message}"


@pytest.mark.parametrize("method", BY_HAND)
def test_group_members_may_set_the_time_and_zone(testbed, clock, group_users, method):
    ok, error, message = call_as(MEMBER, testbed.bus.address, *DEST, IFACE, method,
                                 *changing_call(method))
    assert ok, f"{error}: {message}"
    if method == "SetTimezone":
        assert clock.prop("Timezone") == "Europe/Berlin"
    else:
        assert clock.prop("LastSyncSource") == "manual"


@pytest.mark.parametrize("method", ["StepTime", "Confirm"])
def test_group_members_may_not_step_or_confirm(testbed, clock, group_users, method):
    before = testbed.fakeclock.offset_ns()
    ok, error, message = call_as(MEMBER, testbed.bus.address, *DEST, IFACE, method,
                                 *changing_call(method))
    assert not ok and error == ACCESS_DENIED, f"{error}: {message}"
    assert "Rejected send message" in message
    assert abs(testbed.fakeclock.offset_ns() - before) < 10**6
    assert clock.prop("StepCount") == 0 and clock.prop("LastSyncSource") == "none"


@pytest.mark.parametrize("user", ["nobody", "picamsync-camera", OTHER])
@pytest.mark.parametrize("method", CHANGING)
def test_other_users_are_denied(testbed, clock, group_users, user, method):
    before = testbed.fakeclock.offset_ns()
    ok, error, message = call_as(user, testbed.bus.address, *DEST, IFACE, method,
                                 *changing_call(method))
    assert not ok and error == ACCESS_DENIED, f"{error}: {message}"
    # Refused by the bus policy: clockd never saw the call.
    assert "Rejected send message" in message
    assert abs(testbed.fakeclock.offset_ns() - before) < 10**6
    assert clock.prop("StepCount") == 0
    assert clock.prop("Timezone") == "UTC"


@pytest.mark.parametrize("user", ["root", "picamsync-web", "picamsync-camera", OTHER, "nobody"])
def test_everyone_may_read_and_introspect(testbed, group_users, user):
    a = testbed.bus.address
    r = busctl_as(user, a, "introspect", *DEST)
    assert r.returncode == 0 and "StepTime" in r.stdout, r.stderr
    r = busctl_as(user, a, "get-property", *DEST, IFACE, "Reliability")
    assert r.returncode == 0 and r.stdout.strip() == 's "none"', r.stderr
    r = busctl_as(user, a, "call", *DEST, "org.freedesktop.DBus.Properties", "GetAll", "s",
                  IFACE)
    assert r.returncode == 0, r.stderr
    r = busctl_as(user, a, "call", *DEST, IFACE, "GetTime")
    assert r.returncode == 0 and r.stdout.startswith("tt "), r.stderr
    r = busctl_as(user, a, "call", *DEST, IFACE, "GetDriftHistory")
    assert r.returncode == 0 and r.stdout.strip() == "a(txxts) 0", r.stderr


@pytest.mark.parametrize("user", ["root", "nobody"])
def test_nobody_may_set_properties(testbed, user):
    r = busctl_as(user, testbed.bus.address, "set-property", *DEST, IFACE, "StepCount", "u",
                  "5")
    assert r.returncode != 0


def test_only_root_may_own_the_name(testbed):
    for user in ["picamsync-web", "picamsync-camera", "nobody"]:
        ok, error, message = call_as(user, testbed.bus.address, "org.freedesktop.DBus",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "RequestName", "su", ["org.picamsync.Clock1", 0])
        assert not ok and error == ACCESS_DENIED, f"{error}: {message}"
        assert "not allowed to own" in message


def write_open_policy(policy_dir):
    """A bus policy that lets everyone own and call everything: only the daemons' own checks
    are left."""
    with open(os.path.join(policy_dir, "open.conf"), "w") as f:
        f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy context="default"><allow own="*"/><allow send_destination="*"/></policy>
</busconfig>
""")


def test_clockd_checks_the_caller_itself(make_testbed, group_users):
    """With a bus policy that lets everyone through, clockd still refuses other users."""
    with tempfile.TemporaryDirectory() as policy_dir:
        write_open_policy(policy_dir)
        bed = make_testbed(policy_dir=policy_dir)
        client = BusClient(bed.bus.address)
        clock = ClockProxy(client)
        for user in ["nobody", "picamsync-camera", OTHER]:
            for method in CHANGING:
                ok, error, message = call_as(user, bed.bus.address, *DEST, IFACE, method,
                                             *changing_call(method))
                assert not ok and error == ACCESS_DENIED, f"{error}: {message}"
                if method in BY_HAND:
                    assert message.startswith("Only root, picamsync-web and members of the "
                                              "picamsync group may "), message
                else:
                    assert message.startswith("Only root and picamsync-web may "), message
        # A member of the group: stepping and confirming stay refused by clockd itself.
        for method in ["StepTime", "Confirm"]:
            ok, error, message = call_as(MEMBER, bed.bus.address, *DEST, IFACE, method,
                                         *changing_call(method))
            assert not ok and error == ACCESS_DENIED, f"{error}: {message}"
            assert message.startswith("Only root and picamsync-web may "), message
        assert clock.prop("StepCount") == 0 and clock.prop("Timezone") == "UTC"
        assert clock.prop("LastSyncSource") == "none"
        ok, error, message = call_as(MEMBER, bed.bus.address, *DEST, IFACE, "SetTimezone", "s",
                                     ["Europe/Berlin"])
        assert ok, f"{error}: {message}"
        assert clock.prop("Timezone") == "Europe/Berlin"
        ok, error, message = call_as("picamsync-web", bed.bus.address, *DEST, IFACE,
                                     "StepTime", "xs", [1000000, "manual"])
        assert ok, f"{error}: {message}"
        assert clock.prop("StepCount") == 1
        client.close()
        assert "MESSAGE_ID=e8bcc4071edb408c8815a0190f3c5b9f" in bed.daemons["clockd"].log()


CAMERA1 = ["org.picamsync.Camera1", "/org/picamsync/Camera1"]
CAMERA1_MANAGER = "org.picamsync.Camera1.Manager"


@pytest.fixture
def camerabed(make_testbed):
    bed = make_testbed()
    sim = bed.start_sim()
    bed.start_camerad()
    ok, error, path = call_as("root", bed.bus.address, *CAMERA1, CAMERA1_MANAGER, "AddCamera",
                              "s", [sim["camera"]])
    assert ok, f"{error}: {path}"
    return bed, sim, path[0]


@pytest.mark.parametrize("user", ["root", "picamsync-web", MEMBER, "picamsync-camera", OTHER,
                                  "nobody"])
def test_camera_methods_only_for_root_web_and_group(camerabed, group_users, user):
    bed, sim, path = camerabed
    allowed = user in ("root", "picamsync-web", MEMBER)
    calls = [(CAMERA1[1], CAMERA1_MANAGER, "Discover", None, []),
             (CAMERA1[1], CAMERA1_MANAGER, "AddCamera", "s", [sim["camera"]]),
             (path, "org.picamsync.Camera1.Camera", "SetTime", "s", ["Not/AZone"])]
    # The reading methods are everyone's (they send nothing to a camera).
    for obj, iface, method, sig, args in [
            (path, "org.picamsync.Camera1.Camera", "GetDriftHistory", None, []),
            (CAMERA1[1], CAMERA1_MANAGER, "ListReports", None, []),
            (CAMERA1[1], CAMERA1_MANAGER, "GetReport", "s", ["20300101T000000Z-x"])]:
        ok, error, message = call_as(user, bed.bus.address, CAMERA1[0], obj, iface, method, sig,
                                     args)
        assert error != ACCESS_DENIED, f"{method}: {message}"
    for obj, iface, method, sig, args in calls:
        ok, error, message = call_as(user, bed.bus.address, CAMERA1[0], obj, iface, method, sig,
                                     args)
        if allowed:
            # Allowed through: any answer but AccessDenied (Discover is off on this bed,
            # SetTime refuses the zone).
            assert error != ACCESS_DENIED, f"{method}: {message}"
        else:
            assert not ok and error == ACCESS_DENIED, f"{method}: {error}: {message}"
    # RemoveCamera last: it changes the bed.
    ok, error, message = call_as(user, bed.bus.address, *CAMERA1, CAMERA1_MANAGER,
                                 "RemoveCamera", "o", [path])
    assert ok == allowed, f"{error}: {message}"
    if not allowed:
        # Refused by the bus policy, and the camera is still there.
        assert "Rejected send message" in message
        ok, error, reply = call_as("root", bed.bus.address, *CAMERA1,
                                   "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
        assert ok and path in reply[0], f"{error}: {reply}"


@pytest.mark.parametrize("user", ["root", "picamsync-web", "picamsync-camera", "nobody"])
def test_everyone_may_read_cameras(camerabed, user):
    bed, sim, path = camerabed
    ok, error, reply = call_as(user, bed.bus.address, CAMERA1[0], path,
                               "org.freedesktop.DBus.Properties", "GetAll", "s",
                               ["org.picamsync.Camera1.Camera"])
    assert ok, f"{error}: {reply}"
    ok, error, reply = call_as(user, bed.bus.address, *CAMERA1,
                               "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
    assert ok and path in reply[0], f"{error}: {reply}"


@pytest.mark.parametrize("user", ["root", "picamsync-web", "nobody"])
def test_only_picamsync_camera_may_own_camera1(testbed, user):
    ok, error, message = call_as(user, testbed.bus.address, "org.freedesktop.DBus",
                                 "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
                                 "su", ["org.picamsync.Camera1", 0])
    assert not ok and error == ACCESS_DENIED, f"{error}: {message}"


SYNC1 = ["org.picamsync.Sync1", "/org/picamsync/Sync1", "org.picamsync.Sync1"]


@pytest.mark.parametrize("user", ["root", "picamsync-web", MEMBER, OTHER, "nobody"])
def test_sync_now_only_for_root_web_and_group(webd_bed, group_users, user):
    bed = webd_bed(env={"PICAMSYNC_AUTO_SYNC": "0"})

    def activity():
        ok, error, reply = call_as(user, bed.bus.address, *SYNC1, "GetActivityLog", "u", [100])
        assert ok, f"{error}: {reply}"
        return reply[0]

    before = activity()
    ok, error, message = call_as(user, bed.bus.address, *SYNC1, "SyncNow")
    if user in ("root", "picamsync-web", MEMBER):
        # Through to webd, which has no page to sync from.
        assert not ok and error == "org.picamsync.Error.NoClient", f"{error}: {message}"
    else:
        assert not ok and error == ACCESS_DENIED, f"{error}: {message}"
        assert "Rejected send message" in message
        assert activity() == before


OWN_CHECK = "Only root, picamsync-web and members of the picamsync group may "


def test_camerad_and_webd_check_the_caller_themselves(make_testbed, group_users):
    """With a bus policy that lets everyone through, camerad refuses its methods and webd
    SyncNow to anyone but root, their own user, picamsync-web and the group's members."""
    with tempfile.TemporaryDirectory() as policy_dir:
        write_open_policy(policy_dir)
        bed = make_testbed(policy_dir=policy_dir)
        sim = bed.start_sim()
        bed.start_camerad()
        bed.start_webd({"PICAMSYNC_AUTO_SYNC": "0"})
        a = bed.bus.address
        ok, error, path = call_as("root", a, *CAMERA1, CAMERA1_MANAGER, "AddCamera", "s",
                                  [sim["camera"]])
        assert ok, f"{error}: {path}"
        path = path[0]
        calls = [(CAMERA1[1], CAMERA1_MANAGER, "AddCamera", "s", [sim["camera"]]),
                 (path, "org.picamsync.Camera1.Camera", "MeasureOffset", None, []),
                 (path, "org.picamsync.Camera1.Camera", "SetTime", "s", ["Not/AZone"]),
                 (CAMERA1[1], CAMERA1_MANAGER, "RemoveCamera", "o", [path])]
        for user in ["nobody", OTHER]:
            for obj, iface, method, sig, args in calls:
                ok, error, message = call_as(user, a, CAMERA1[0], obj, iface, method, sig, args)
                assert not ok and error == ACCESS_DENIED, f"{method}: {error}: {message}"
                assert message.startswith(OWN_CHECK + f"call {method}; uid "), message
            ok, error, message = call_as(user, a, *SYNC1, "SyncNow")
            assert not ok and error == ACCESS_DENIED, f"{error}: {message}"
            assert message.startswith(OWN_CHECK + "start a sync; uid "), message
            # Reading stays open.
            ok, error, reply = call_as(user, a, *CAMERA1, "org.freedesktop.DBus.ObjectManager",
                                       "GetManagedObjects")
            assert ok and path in reply[0], f"{error}: {reply}"
            ok, error, reply = call_as(user, a, *SYNC1, "GetActivityLog", "u", [10])
            assert ok, f"{error}: {reply}"
            ok, error, reply = call_as(user, a, *CAMERA1, CAMERA1_MANAGER, "ListReports")
            assert ok, f"{error}: {reply}"
            ok, error, reply = call_as(user, a, CAMERA1[0], path, "org.picamsync.Camera1.Camera",
                                       "GetDriftHistory")
            assert ok, f"{error}: {reply}"
        for user in [MEMBER, "picamsync-web"]:
            for obj, iface, method, sig, args in calls[:-1]:
                ok, error, message = call_as(user, a, CAMERA1[0], obj, iface, method, sig, args)
                assert error != ACCESS_DENIED, f"{user} {method}: {message}"
            ok, error, message = call_as(user, a, *SYNC1, "SyncNow")
            assert error == "org.picamsync.Error.NoClient", f"{user}: {error}: {message}"
        ok, error, message = call_as(MEMBER, a, *CAMERA1, CAMERA1_MANAGER, "RemoveCamera", "o",
                                     [path])
        assert ok, f"{error}: {message}"
        assert "PICAMSYNC_CALLER_UID=" in bed.daemons["camerad"].log()

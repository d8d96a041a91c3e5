# SPDX-License-Identifier: LGPL-2.1-or-later
"""The bus policy files (dbus-policy/) and clockd's own caller check, with clients run as the
system users created from units/sysusers.d/."""

import json
import os
import pwd
import subprocess
import tempfile

import pytest

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


@pytest.mark.parametrize("user", ["nobody", "picamsync-camera"])
@pytest.mark.parametrize("method", CHANGING)
def test_other_users_are_denied(testbed, clock, user, method):
    before = testbed.fakeclock.offset_ns()
    ok, error, message = call_as(user, testbed.bus.address, *DEST, IFACE, method,
                                 *changing_call(method))
    assert not ok and error == ACCESS_DENIED, f"{error}: {message}"
    # Refused by the bus policy: clockd never saw the call.
    assert "Rejected send message" in message
    assert abs(testbed.fakeclock.offset_ns() - before) < 10**6
    assert clock.prop("StepCount") == 0
    assert clock.prop("Timezone") == "UTC"


@pytest.mark.parametrize("user", ["root", "picamsync-web", "picamsync-camera", "nobody"])
def test_everyone_may_read_and_introspect(testbed, user):
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


def test_clockd_checks_the_caller_itself(make_testbed):
    """With a bus policy that lets everyone through, clockd still refuses other users."""
    with tempfile.TemporaryDirectory() as policy_dir:
        with open(os.path.join(policy_dir, "open.conf"), "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy context="default"><allow own="*"/><allow send_destination="*"/></policy>
</busconfig>
""")
        bed = make_testbed(policy_dir=policy_dir)
        for user in ["nobody", "picamsync-camera"]:
            for method in CHANGING:
                ok, error, message = call_as(user, bed.bus.address, *DEST, IFACE, method,
                                             *changing_call(method))
                assert not ok and error == ACCESS_DENIED, f"{error}: {message}"
                assert message.startswith("Only root and picamsync-web may "), message
        ok, error, message = call_as("picamsync-web", bed.bus.address, *DEST, IFACE,
                                     "StepTime", "xs", [1000000, "manual"])
        assert ok, f"{error}: {message}"
        client = BusClient(bed.bus.address)
        assert ClockProxy(client).prop("StepCount") == 1
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


@pytest.mark.parametrize("user", ["root", "picamsync-web", "picamsync-camera", "nobody"])
def test_camera_methods_only_for_root_and_web(camerabed, user):
    bed, sim, path = camerabed
    calls = [(CAMERA1[1], CAMERA1_MANAGER, "Discover", None, []),
             (CAMERA1[1], CAMERA1_MANAGER, "AddCamera", "s", [sim["camera"]]),
             (path, "org.picamsync.Camera1.Camera", "GetDriftHistory", None, []),
             (path, "org.picamsync.Camera1.Camera", "SetTime", "s", ["Not/AZone"])]
    for obj, iface, method, sig, args in calls:
        ok, error, message = call_as(user, bed.bus.address, CAMERA1[0], obj, iface, method, sig,
                                     args)
        if user in ("root", "picamsync-web"):
            # Allowed through: any answer but AccessDenied (Discover is off on this bed,
            # SetTime refuses the zone).
            assert error != ACCESS_DENIED, f"{method}: {message}"
        else:
            assert not ok and error == ACCESS_DENIED, f"{method}: {error}: {message}"
    # RemoveCamera last: it changes the bed.
    ok, error, message = call_as(user, bed.bus.address, *CAMERA1, CAMERA1_MANAGER,
                                 "RemoveCamera", "o", [path])
    assert ok == (user in ("root", "picamsync-web")), f"{error}: {message}"


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

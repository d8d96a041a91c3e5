# SPDX-License-Identifier: LGPL-2.1-or-later
"""The harness itself: the rules it promises are checked, not assumed."""

import os
import subprocess
import tempfile

import pytest

import picamsync_testbed as harness


def test_daemons_run_without_cap_sys_time(testbed):
    pid = testbed.daemons["clockd"].proc.pid
    harness.check_no_sys_time(pid)
    env = open(f"/proc/{pid}/environ").read().split("\0")
    assert f"LD_PRELOAD={testbed.fakeclock.library}" in env
    assert f"DBUS_SYSTEM_BUS_ADDRESS={testbed.bus.address}" in env


def test_cap_check_notices_a_privileged_process():
    # This test process runs as root with the full set: the check must refuse it.
    with pytest.raises(harness.HarnessError, match="CAP_SYS_TIME"):
        harness.check_no_sys_time(os.getpid())


def test_policy_warnings_fail_the_run():
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory() as policy:
        with open(os.path.join(policy, "bad.conf"), "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><policy user="no-such-user-here"><allow own="x.y"/></policy></busconfig>
""")
        with pytest.raises(harness.HarnessError, match="no-such-user-here"):
            harness.PrivateBus(work, policy)


def test_policy_parse_errors_fail_the_run():
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory() as policy:
        with open(os.path.join(policy, "broken.conf"), "w") as f:
            f.write("<busconfig><policy context='default'><allow own=\"x\"></busconfig>")
        with pytest.raises(harness.HarnessError):
            harness.PrivateBus(work, policy)


def test_fake_clock_is_shared_and_the_host_clock_untouched(make_testbed):
    bed = make_testbed(pi_offset_ms=-10_800_000)
    out = subprocess.run(["date", "+%s"], capture_output=True, text=True,
                         env={"LD_PRELOAD": bed.fakeclock.library,
                              "FAKECLOCK_STATE": bed.fakeclock.path}).stdout
    import time
    assert abs(int(out) - (time.time() - 10_800)) < 5
    bed.fakeclock.set(offset_ms=0)
    out = subprocess.run(["date", "+%s"], capture_output=True, text=True,
                         env={"LD_PRELOAD": bed.fakeclock.library,
                              "FAKECLOCK_STATE": bed.fakeclock.path}).stdout
    assert abs(int(out) - time.time()) < 5


def test_unprivileged_processes_read_the_fake_clock_but_cannot_set_it(make_testbed):
    """camerad and webd run as their own users: they see the Pi's time, and a clock-setting
    call fails with EPERM as it would without CAP_SYS_TIME."""
    import pwd
    import time
    bed = make_testbed(pi_offset_ms=-10_800_000)
    pw = pwd.getpwnam("nobody")
    env = {"LD_PRELOAD": bed.fakeclock.library, "FAKECLOCK_STATE": bed.fakeclock.path}
    as_nobody = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups",
                 "--bounding-set=-sys_time", "--"]
    out = subprocess.run(as_nobody + ["date", "+%s"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "fake clock is off" not in out.stderr
    assert abs(int(out.stdout) - (time.time() - 10_800)) < 5
    before = bed.fakeclock.offset_ns()
    out = subprocess.run(as_nobody + ["date", "-s", "@2000000000"], capture_output=True,
                         text=True, env=env)
    assert out.returncode != 0 and "not permitted" in out.stderr, out.stderr
    assert abs(bed.fakeclock.offset_ns() - before) < 10**6

# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real syscall path: clockd without the fake clock and without CAP_SYS_TIME must answer
with org.picamsync.Error.ClockPermission, and this machine's clock must not move."""

import time

import pytest

from busclient import BusCallError, BusClient
from conftest import ClockProxy


def wall_minus_boot_us():
    return (time.clock_gettime_ns(time.CLOCK_REALTIME)
            - time.clock_gettime_ns(time.CLOCK_BOOTTIME)) // 1000


@pytest.mark.parametrize("method,args", [
    ("StepTime", (7200 * 1_000_000, "manual")),
    ("SetTime", None),
])
def test_kernel_refusal_is_clock_permission(make_testbed, method, args):
    bed = make_testbed(fake_clock=False)
    client = BusClient(bed.bus.address)
    clock = ClockProxy(client)
    if args is None:
        args = (time.clock_gettime_ns(time.CLOCK_REALTIME) // 1000 + 3600 * 1_000_000, "manual")

    before = wall_minus_boot_us()
    with pytest.raises(BusCallError) as e:
        clock.call(method, "xs", *args)
    after = wall_minus_boot_us()

    assert e.value.name == "org.picamsync.Error.ClockPermission"
    assert "CAP_SYS_TIME" in e.value.message
    assert "picamsync-clockd.service" in e.value.message
    assert abs(after - before) < 50_000, "the host clock moved"
    assert clock.prop("StepCount") == 0
    assert clock.prop("Reliability") == "none"
    log = bed.daemons["clockd"].log()
    assert "MESSAGE_ID=e8bcc4071edb408c8815a0190f3c5b9f" in log
    client.close()

# SPDX-License-Identifier: LGPL-2.1-or-later
"""pytest fixtures on top of the testbed: each test gets its own simulated Pi."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import picamsync_testbed as harness  # noqa: E402
from busclient import BusClient  # noqa: E402

CLOCK = ("org.picamsync.Clock1", "/org/picamsync/Clock1", "org.picamsync.Clock1")


class ClockProxy:
    """Clock1 seen through a bus connection."""

    def __init__(self, client):
        self.client = client

    def call(self, method, signature=None, *args):
        return self.client.call(CLOCK[0], CLOCK[1], CLOCK[2], method, signature, args)

    def prop(self, name):
        return self.client.get(CLOCK[0], CLOCK[1], CLOCK[2], name)

    def props(self):
        return self.client.get_all(CLOCK[0], CLOCK[1], CLOCK[2])

    def watch(self):
        self.client.subscribe(sender=CLOCK[0], path=CLOCK[1])

    def wait_changed(self, prop, timeout=5.0, value=None):
        """Waits for PropertiesChanged carrying prop (and that value, if given)."""

        def match(s):
            iface, member, _path, args, _t = s
            if iface != "org.freedesktop.DBus.Properties" or member != "PropertiesChanged":
                return False
            if args[0] != CLOCK[2] or prop not in args[1]:
                return False
            return value is None or args[1][prop] == value

        s = self.client.wait_signal(match, timeout)
        return s[3][1][prop] if s else None

    def wait_stepped(self, timeout=5.0):
        s = self.client.wait_signal(lambda s: s[1] == "TimeStepped", timeout)
        return s[3] if s else None


@pytest.fixture
def builddir():
    return harness.default_builddir()


@pytest.fixture
def make_testbed(builddir):
    beds = []

    def make(start=True, **kwargs):
        """start=True starts clockd; the rest (simulators, camerad, webd) the test starts."""
        bed = harness.Testbed(builddir, **kwargs)
        beds.append(bed)
        if start:
            bed.start_clockd()
        return bed

    yield make
    for bed in beds:
        codes = bed.stop()
        # A daemon that crashed, leaked (ASan) or misbehaved (UBSan) fails the test.
        for name, code in codes.items():
            assert code in (0, None), f"{name} exited with {code}:\n" + bed.final_logs[name]


@pytest.fixture
def webd_bed(make_testbed):
    """clockd and webd on a fresh testbed."""
    def make(pi_offset_ms=0, env=None, zone="UTC"):
        bed = make_testbed(pi_offset_ms=pi_offset_ms, zone=zone)
        bed.start_webd(env)
        return bed
    return make


@pytest.fixture
def testbed(make_testbed):
    return make_testbed()


@pytest.fixture
def clock(testbed):
    client = BusClient(testbed.bus.address)
    yield ClockProxy(client)
    client.close()

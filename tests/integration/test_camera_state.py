# SPDX-License-Identifier: LGPL-2.1-or-later
"""A camera's 503 by its meaning (docs/ccapi.md, "Answers and errors"): lasting states such as a
full card fail a timelapse frame at once with the camera's words, cost at most one shutter request
per frame, show as the camera's Condition (once per state), reach every page once through webd,
and are counted per state in the report; measurements and sets fail at once with CameraState.
The simulator's busy fault with busyMessage plays the camera's state; its shutterLog counts the
shutter requests."""

import json

import pytest
from gi.repository import GLib

from busclient import BusCallError, BusClient
from picamsync_testbed import wait_until
from testbed_clients import (Client, http, is_event, is_type, sim_set, sim_state,
                             wait_camera_connected)

NAME = "org.picamsync.Camera1"
MANAGER = ("/org/picamsync/Camera1", "org.picamsync.Camera1.Manager")
CAMERA_IFACE = "org.picamsync.Camera1.Camera"
CARD = "Can not write to card"


class Bed:
    def __init__(self, make_testbed, env=None):
        self.bed = make_testbed()
        self.sim = self.bed.start_sim()
        self.bed.start_camerad(env)
        self.client = BusClient(self.bed.bus.address)
        self.path = self.manager("AddCamera", "s", self.sim["camera"])[0]

    def manager(self, method, signature=None, *args):
        return self.client.call(NAME, MANAGER[0], MANAGER[1], method, signature, args,
                                timeout_ms=60000)

    def call(self, method, signature=None, *args):
        return self.client.call(NAME, self.path, CAMERA_IFACE, method, signature, args,
                                timeout_ms=60000)

    def prop(self, name):
        return self.client.get(NAME, self.path, CAMERA_IFACE, name)

    def report(self, tl_id):
        return json.loads(self.manager("GetReport", "s", tl_id)[0])


def v(sig, value):
    return GLib.Variant(sig, value)


def condition_changes(client, path):
    """The values Condition took, in order, from the PropertiesChanged signals collected."""
    out = []
    for s in client.signals:
        if s[1] == "PropertiesChanged" and s[2] == path and "Condition" in s[3][1]:
            out.append((s[3][1]["Condition"], s[3][1].get("ConditionMessage")))
    return out


def test_full_card_fails_frames_at_once_one_request_each(make_testbed):
    t = Bed(make_testbed)
    t.client.subscribe(sender=NAME, iface=CAMERA_IFACE, member="ShotTaken")
    t.client.subscribe(sender=NAME, iface="org.freedesktop.DBus.Properties",
                       member="PropertiesChanged", path=t.path)
    assert t.prop("Condition") == "" and t.prop("ConditionMessage") == ""
    sim_set(t.sim, fault="busy", busyMessage=CARD, shots=0)
    tl_id = t.call("StartTimelapse", "a{sv}", {"interval_ms": v("u", 1000),
                                               "shots": v("u", 12)})[0]
    wait_until(lambda: t.prop("ShotsFailed") >= 3, 20, "three frames failed")
    assert t.prop("Condition") == "card"
    assert t.prop("ConditionMessage") == CARD
    sim_set(t.sim, fault="none", busyMessage="Device busy")  # a new card
    wait_until(lambda: t.prop("TimelapseState") == "idle", 30, "the timelapse to end")

    failed, taken = t.prop("ShotsFailed"), t.prop("ShotsTaken")
    log = sim_state(t.sim)["shutterLog"]
    print(f"{failed} frames failed, {taken} taken; shutter requests: "
          f"{[a['status'] for a in log]}")
    assert failed >= 3 and failed + taken == 12 and taken >= 1
    # One shutter request per frame, whether it failed or not: no retries against the full card.
    assert len(log) == 12
    assert [a["status"] for a in log] == [503] * failed + [200] * taken
    # Each failed frame says the camera's words.
    t.client.pump(0.2)
    shots = [s[3] for s in t.client.signals if s[1] == "ShotTaken"]
    assert [s[1] for s in shots] == list(range(12))
    assert all(not s[3] and CARD in s[4] for s in shots[:failed]), shots
    assert all(s[3] and s[4] == "" for s in shots[failed:]), shots
    # Condition changed once when the state began and once when a frame was taken again.
    assert condition_changes(t.client, t.path) == [("card", CARD), ("", "")]

    wait_until(lambda: t.report(tl_id)["state"] == "completed", 10, "the final report")
    rep = t.report(tl_id)
    assert rep["shots"]["failed"] == failed
    assert [e["index"] for e in rep["shots"]["errors"]] == list(range(failed))
    assert all(CARD in e["error"] for e in rep["shots"]["errors"])
    [by_state] = rep["shots"]["failuresByState"]
    assert by_state["state"] == "card" and by_state["message"] == CARD
    assert by_state["frames"] == failed
    assert by_state["firstAt"]["usec"] == rep["shots"]["errors"][0]["at"]["usec"]
    assert by_state["lastAt"]["usec"] == rep["shots"]["errors"][-1]["at"]["usec"]


def test_device_busy_is_still_retried(make_testbed):
    # The transient state keeps today's behaviour: retried within the frame, no Condition.
    t = Bed(make_testbed)
    sim_set(t.sim, fault="busy", busyMessage="Device busy", shots=0)
    t.call("StartTimelapse", "a{sv}", {"interval_ms": v("u", 10000), "shots": v("u", 1)})
    wait_until(lambda: len(sim_state(t.sim)["shutterLog"]) >= 3, 10, "three tries of frame 0")
    assert t.prop("Condition") == "" and t.prop("ShotsFailed") == 0
    sim_set(t.sim, fault="none")
    wait_until(lambda: t.prop("TimelapseState") == "idle", 20, "the timelapse to end")
    log = sim_state(t.sim)["shutterLog"]
    assert t.prop("ShotsTaken") == 1 and t.prop("ShotsFailed") == 0
    assert [a["status"] for a in log] == [503] * (len(log) - 1) + [200]
    assert t.prop("Condition") == ""


@pytest.mark.parametrize("words", [CARD, "Mode not supported", "During shooting or recording"])
def test_measure_and_set_fail_at_once(make_testbed, words):
    # No probes or drift checks in between: the request count is the measurement's own.
    t = Bed(make_testbed, {"PICAMSYNC_CAMERA_PROBE_INTERVAL": "3600000",
                           "PICAMSYNC_CAMERA_CHECK_INTERVAL": "86400000"})
    sim_set(t.sim, fault="busy", busyMessage=words)
    before = sim_state(t.sim)["requests"]
    with pytest.raises(BusCallError) as e:
        t.call("MeasureOffset")
    assert e.value.name == "org.picamsync.Error.CameraState", e.value
    assert f'"{words}"' in e.value.message and "EOS R50 (127.0.0.1)" in e.value.message
    assert sim_state(t.sim)["requests"] == before + 1
    with pytest.raises(BusCallError) as e:
        t.call("SetTime", "s", "Europe/Berlin")
    assert e.value.name == "org.picamsync.Error.CameraState"
    state = sim_state(t.sim)
    assert state["requests"] == before + 2 and state["puts"] == 0
    assert t.prop("LastError") == e.value.message
    sim_set(t.sim, fault="none", busyMessage="Device busy")
    t.call("MeasureOffset")
    assert t.prop("LastError") == ""


def get_json(bed, path):
    code, data, _ = http(bed, "GET", path)
    assert code == 200, (path, code, data)
    return json.loads(data)


def test_pages_are_told_once_when_the_state_starts_and_when_it_ends(make_testbed):
    bed = make_testbed()
    sim = bed.start_sim()
    bed.start_camerad({"PICAMSYNC_CAMERA_URLS": sim["camera"]})
    wait_camera_connected(bed)
    bed.start_webd()
    wait_until(lambda: get_json(bed, "/api/timesync/status")["status"]["camera"]["connected"],
               15, "webd to see the camera")
    pages = [Client(bed), Client(bed)]
    try:
        for p in pages:
            p.welcome()
        # The policy checks the camera once the pages made the Pi reliable: before the card is
        # "full", since the simulator's busy fault refuses every request, not only the shutter.
        pages[0].wait_pi_sync()
        wait_until(lambda: any("nothing to change" in e["message"] for e in
                               get_json(bed, "/api/timesync/log")["entries"]), 30,
                   "the policy's camera check")
        sim_set(sim, fault="busy", busyMessage=CARD)
        code, data, _ = http(bed, "POST", "/api/timelapse", {"intervalMs": 1000, "shots": 10},
                             {"Content-Type": "application/json"})
        assert code == 201, data
        tl_id = json.loads(data)["id"]
        for p in pages:
            w = p.wait_for(lambda m: is_type("warning")(m) and CARD in m["data"]["message"])
            assert "timelapse goes on" in w["data"]["message"]
            assert "memory card" in w["data"]["message"]
        wait_until(lambda: get_json(bed, "/api/timelapse")["shotsFailed"] >= 3, 20,
                   "three frames failed")
        # A page opened after the state began was not sent the warning: its status says it.
        late = Client(bed)
        pages.append(late)
        cam = late.welcome()["status"]["camera"]
        assert (cam["condition"], cam["conditionMessage"]) == ("card", CARD), cam
        sim_set(sim, fault="none", busyMessage="Device busy")

        def ended(m):
            return m["type"] == "activity_log" and any(
                "no longer says" in e["message"] for e in m["data"]["entries"])
        for p in pages:
            p.wait_for(ended, timeout=20)
        wait_until(lambda: get_json(bed, "/api/timelapse")["state"] == "idle", 20,
                   "the timelapse to end")
        for p in pages[:2]:
            p.barrier()
            warnings = [m for m in p.messages
                        if is_type("warning")(m) and CARD in m["data"]["message"]]
            assert len(warnings) == 1, warnings  # once per state, not per frame
        cam = get_json(bed, "/api/timesync/status")["status"]["camera"]
        assert (cam["condition"], cam["conditionMessage"]) == (None, None), cam
        entries = [e for e in get_json(bed, "/api/timesync/log")["entries"]
                   if CARD in e["message"]]
        print([(e["level"], e["message"]) for e in entries])
        assert sorted(e["level"] for e in entries) == ["success", "warning"]
        assert get_json(bed, "/api/timelapse")["id"] == tl_id
    finally:
        for p in pages:
            p.close()


def test_state_until_the_end_is_ended_by_the_end(make_testbed):
    """A state that lasts to the last frame: Condition is cleared when the timelapse ends (no shot
    watches it any more), and the report counts every frame."""
    t = Bed(make_testbed)
    sim_set(t.sim, fault="busy", busyMessage="Mode not supported", shots=0)
    tl_id = t.call("StartTimelapse", "a{sv}", {"interval_ms": v("u", 500),
                                               "shots": v("u", 4)})[0]
    wait_until(lambda: t.prop("TimelapseState") == "idle", 20, "the timelapse to end")
    assert t.prop("ShotsFailed") == 4
    assert len(sim_state(t.sim)["shutterLog"]) == 4
    assert t.prop("Condition") == ""
    wait_until(lambda: t.report(tl_id)["state"] == "completed", 10, "the final report")
    [by_state] = t.report(tl_id)["shots"]["failuresByState"]
    assert (by_state["state"], by_state["message"], by_state["frames"]) == \
        ("mode", "Mode not supported", 4)

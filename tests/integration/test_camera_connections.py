# SPDX-License-Identifier: LGPL-2.1-or-later
"""camerad's connection to a camera, against the simulator's own counts (/sim/state:
connections, tlsHandshakes, requestLog, shotLog): one kept-alive connection for every request
(the shutter's POST included), a dropped connection replaced without losing or doubling a
frame, a shot never sent twice, a camera found again at a new address, and no presence probe
on the connection while a timelapse shoots."""

from gi.repository import GLib

from busclient import BusClient
from picamsync_testbed import wait_until
from testbed_clients import sim_set, sim_state

NAME = "org.picamsync.Camera1"
MANAGER = ("/org/picamsync/Camera1", "org.picamsync.Camera1.Manager")
CAMERA_IFACE = "org.picamsync.Camera1.Camera"
SHUTTER = "/ccapi/ver100/shooting/control/shutterbutton"
DATETIME = "/ccapi/ver100/functions/datetime"


class Bed:
    def __init__(self, make_testbed, https=False, latency_ms=0, env=None):
        self.bed = make_testbed()
        self.sim = self.bed.start_sim(latency_ms=latency_ms, https=https)
        env = dict(env or {})
        if https:
            # LeakSanitizer's tracer crashes on glib-networking's TLS handshake thread at exit
            # (as in test_camera_api's HTTPS test); ASan itself stays on.
            env["ASAN_OPTIONS"] = "verify_asan_link_order=0:detect_leaks=0:abort_on_error=1"
        self.camerad = self.bed.start_camerad(env)
        self.client = BusClient(self.bed.bus.address)
        self.path = self.manager("AddCamera", "s", self.sim["https" if https else "camera"])[0]

    def manager(self, method, signature=None, *args):
        return self.client.call(NAME, MANAGER[0], MANAGER[1], method, signature, args,
                                timeout_ms=60000)

    def call(self, method, signature=None, *args):
        return self.client.call(NAME, self.path, CAMERA_IFACE, method, signature, args,
                                timeout_ms=60000)

    def prop(self, name):
        return self.client.get(NAME, self.path, CAMERA_IFACE, name)

    def start(self, interval_ms, shots):
        return self.call("StartTimelapse", "a{sv}",
                         {"interval_ms": GLib.Variant("u", interval_ms),
                          "shots": GLib.Variant("u", shots)})[0]

    def wait_idle(self, timeout):
        wait_until(lambda: self.prop("TimelapseState") == "idle", timeout, "the timelapse to end")

    def settled(self):
        return self.prop("ShotsTaken") + self.prop("ShotsFailed")


def posts(state):
    return [r for r in state["requestLog"] if r["method"] == "POST" and r["path"] == SHUTTER]


def test_twenty_frames_over_https_use_one_connection(make_testbed):
    t = Bed(make_testbed, https=True)
    t.start(500, 20)
    t.wait_idle(60)
    state = sim_state(t.sim)
    print(f"connections {state['connections']}, TLS handshakes {state['tlsHandshakes']}, "
          f"requests {len(state['requestLog'])}")
    assert t.prop("ShotsTaken") == 20
    assert state["shots"] == 20 and len(posts(state)) == 20
    # Connecting, the listing, 20 shutter POSTs and auto power-off: all on the first one.
    assert state["connections"] == 1
    assert state["tlsHandshakes"] == 1
    assert {r["connection"] for r in state["requestLog"]} == {1}


def test_connection_close_mode_opens_one_per_request(make_testbed):
    t = Bed(make_testbed)
    sim_set(t.sim, connectionClose=True, connections=0)
    t.start(500, 5)
    t.wait_idle(30)
    state = sim_state(t.sim)
    assert t.prop("ShotsTaken") == 5 and state["shots"] == 5 and len(posts(state)) == 5
    # A body that does not keep alive: a new connection for every request, none lost.
    assert state["connections"] == len(state["requestLog"])


def test_connection_dropped_between_frames_is_replaced(make_testbed):
    t = Bed(make_testbed)
    # The camera closes a connection idle for 100 ms: before every frame (1 s apart) the
    # connection camerad kept is gone, and a new one carries the frame.
    # (No write window: every POST takes its shot, so POSTs and shots can be counted alike.)
    sim_set(t.sim, idleTimeoutMs=100, connections=0, writeMs=0)
    t.start(1000, 8)
    t.wait_idle(40)
    state = sim_state(t.sim)
    print(f"connections {state['connections']} for {len(state['requestLog'])} requests")
    assert t.prop("ShotsTaken") == 8 and t.prop("ShotsFailed") == 0
    assert state["shots"] == 8 and len(posts(state)) == 8
    assert len({p["connection"] for p in posts(state)}) == 8
    # And a drop on demand, mid-run, the same.
    sim_set(t.sim, idleTimeoutMs=0, connections=0)
    t.start(1000, 6)
    wait_until(lambda: t.prop("ShotsTaken") >= 2, 20, "two frames")
    sim_set(t.sim, dropConnections=True)
    t.wait_idle(30)
    state = sim_state(t.sim)
    assert t.prop("ShotsTaken") == 6 and t.prop("ShotsFailed") == 0
    assert len(posts(state)) == 6 and state["connections"] == 2


def test_shot_on_a_broken_connection_is_not_sent_again(make_testbed):
    t = Bed(make_testbed)
    sim_set(t.sim, connections=0, writeMs=0)
    t.start(1000, 8)
    wait_until(lambda: t.prop("ShotsTaken") >= 2, 20, "two frames")
    # The next POST arrives on the kept-alive connection and the camera closes it without an
    # answer: a GET would be resent by libsoup on a new connection; the shot must not be.
    sim_set(t.sim, fault="gone")
    wait_until(lambda: t.prop("ShotsFailed") >= 1, 20, "a frame to fail")
    sim_set(t.sim, fault="none")
    t.wait_idle(30)
    state = sim_state(t.sim)
    sent = posts(state)
    print(f"taken {t.prop('ShotsTaken')}, failed {t.prop('ShotsFailed')}, POSTs {len(sent)}")
    # One POST per frame, never two; the camera took exactly the shots camerad counts.
    assert len(sent) == t.settled() == 8
    assert state["shots"] == t.prop("ShotsTaken")
    assert t.prop("ShotsTaken") >= 4
    assert "again" not in t.camerad.log()


def test_camera_found_again_at_a_new_address_mid_timelapse(make_testbed):
    t = Bed(make_testbed)
    old_url = t.prop("Url")
    t.client.subscribe(sender=NAME, iface="org.freedesktop.DBus.Properties",
                       member="PropertiesChanged")
    t.start(1000, 10)
    wait_until(lambda: t.prop("ShotsTaken") >= 2, 20, "two frames")
    moved = sim_set(t.sim, move={"port": 0})
    new_url = moved["urls"]["camera"]
    assert new_url != old_url
    sim = dict(t.sim, camera=new_url, sim=moved["urls"]["sim"])
    before = sim_state(sim)["shots"]
    # Without SSDP here, the camera is found again by its address (AddCamera, as discovery
    # does with an announced one) once the old one failed a frame.
    wait_until(lambda: t.prop("ShotsFailed") >= 1, 20, "a frame at the old address to fail")
    assert t.manager("AddCamera", "s", new_url)[0] == t.path
    assert t.prop("Url") == new_url
    changed = t.client.wait_signal(
        lambda s: s[1] == "PropertiesChanged" and s[2] == t.path and s[3][0] == CAMERA_IFACE
        and s[3][1].get("Url") == new_url, timeout=5)
    assert changed, "no PropertiesChanged with the new Url"
    t.wait_idle(30)
    state = sim_state(sim)
    assert t.prop("ShotsTaken") + t.prop("ShotsFailed") == 10
    # The frames after the move went to the new address, and every shot the camera took
    # (before and after the move: one simulator) is counted, none twice.
    assert state["shots"] > before
    assert t.prop("ShotsTaken") == state["shots"]
    assert t.client.get(NAME, *MANAGER, "Cameras") == [t.path]
    log = t.camerad.log()
    assert f"moved from {old_url} to {new_url}" in log


def test_no_probe_or_idle_check_while_a_timelapse_shoots(make_testbed):
    # Probes every 100 ms and idle drift checks every second against a camera 300 ms away:
    # before the timelapse they run; while it shoots, the shots are the presence signal, a
    # running drift check gives way, and nothing but the timelapse's own requests goes to the
    # camera, so no frame waits behind a probe or a measurement.
    t = Bed(make_testbed, latency_ms=300, env={"PICAMSYNC_CAMERA_PROBE_INTERVAL": "100",
                                               "PICAMSYNC_CAMERA_CHECK_INTERVAL": "1000"})
    wait_until(lambda: {"/ccapi", DATETIME} <= {r["path"] for r in
                                                 sim_state(t.sim)["requestLog"]},
               20, "a probe and an idle drift check")
    t.start(1500, 6)
    t.wait_idle(30)
    log = sim_state(t.sim)["requestLog"]
    sent = [i for i, r in enumerate(log) if r["method"] == "POST" and r["path"] == SHUTTER]
    assert len(sent) == 6
    during = log[sent[0]:sent[-1] + 1]
    others = [r for r in during
              if r["path"] not in (SHUTTER, "/ccapi/ver100/functions/autopoweroff")]
    assert others == [], others
    # Probes come back once it is over: after the idle drift check that may start first (one a
    # second here), which against a camera 300 ms away took up to 11.6 s in a run (its requests
    # wait for the camera's next second), and a probe does not interrupt it. Before, 10 s here
    # failed whenever that check won the race.
    n = len(log)
    wait_until(lambda: any(r["path"] == "/ccapi" for r in sim_state(t.sim)["requestLog"][n:]),
               30, "probes to resume")

# SPDX-License-Identifier: LGPL-2.1-or-later
"""Across real interfaces: the Pi's access point as a bridge in a network namespace, the
camera simulator in its own namespace on it, SSDP multicast between them."""

import json
import subprocess
import time

from gi.repository import GLib

import picamsync_testbed as harness
from busclient import BusClient
from testbed_clients import sim_set

NAME = "org.picamsync.Camera1"
MANAGER = ("/org/picamsync/Camera1", "org.picamsync.Camera1.Manager")
CAMERA = "org.picamsync.Camera1.Camera"


def wait_for_cameras(client, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cameras = client.get(NAME, *MANAGER, "Cameras")
        if cameras:
            return cameras
        time.sleep(0.2)
    return []


def test_discovery_finds_the_camera_on_ap0(make_testbed):
    bed = make_testbed(start=False, netns=True)
    bed.start_clockd()
    sim = bed.start_sim(offset_ms=2500)
    assert sim["camera"] == "http://192.168.4.7:8080/ccapi"
    bed.start_camerad({"PICAMSYNC_CAMERA_CHECK_INTERVAL": "600000"})
    client = BusClient(bed.bus.address)
    cameras = wait_for_cameras(client)
    assert len(cameras) == 1, bed.daemons["camerad"].log()
    path = cameras[0]
    assert client.get(NAME, path, CAMERA, "Url") == "http://192.168.4.7:8080/ccapi"
    assert client.get(NAME, path, CAMERA, "Connected") is True
    offset, bound = client.call(NAME, path, CAMERA, "MeasureOffset", timeout_ms=60000)
    assert abs(offset - 2_500_000) <= bound + 5_000
    # Discover() runs a search now; the same camera stays one camera.
    client.call(NAME, *MANAGER, "Discover")
    time.sleep(1.5)
    assert client.get(NAME, *MANAGER, "Cameras") == cameras
    client.close()


def test_discovered_camera_has_its_names(make_testbed):
    """As a real body: the brand in productname (Model without it), the nickname only in the
    UPnP description."""
    bed = make_testbed(start=False, netns=True)
    bed.start_clockd()
    bed.start_sim(args=["--model", "Canon EOS R6 Mark II", "--nickname", "Lake north"])
    bed.start_camerad({"PICAMSYNC_CAMERA_CHECK_INTERVAL": "600000"})
    client = BusClient(bed.bus.address)
    cameras = wait_for_cameras(client)
    assert len(cameras) == 1, bed.daemons["camerad"].log()
    path = cameras[0]
    assert client.get(NAME, path, CAMERA, "Manufacturer") == "Canon"
    assert client.get(NAME, path, CAMERA, "Model") == "EOS R6 Mark II"
    # Set from the description right after the camera is published.
    deadline = time.monotonic() + 10
    while client.get(NAME, path, CAMERA, "Nickname") == "" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.get(NAME, path, CAMERA, "Nickname") == "Lake north"
    assert client.get(NAME, *MANAGER, "Cameras") == [path]
    # The description was read with libxml2, loaded for it.
    assert "libxml2" in harness.mapped_libraries(bed.daemons["camerad"].proc.pid)
    client.close()


def test_camera_typed_by_url_takes_its_nickname_once_discovered(make_testbed):
    """Added by URL there is no description to read: no nickname. Once SSDP finds the same
    body, the description gives it, on the same camera."""
    bed = make_testbed(start=False, netns=True)
    bed.start_clockd()
    sim = bed.start_sim(args=["--fault", "ssdp-silent", "--nickname", "Lake north"])
    bed.start_camerad({"PICAMSYNC_CAMERA_CHECK_INTERVAL": "600000"})
    client = BusClient(bed.bus.address)
    path = client.call(NAME, *MANAGER, "AddCamera", "s", (sim["camera"],), timeout_ms=60000)[0]
    assert client.get(NAME, path, CAMERA, "Model") == "EOS R50"
    assert client.get(NAME, path, CAMERA, "Nickname") == ""
    bed.network.call_in("camera", sim_set, sim, fault="none")
    deadline = time.monotonic() + 20
    while client.get(NAME, path, CAMERA, "Nickname") == "" and time.monotonic() < deadline:
        client.call(NAME, *MANAGER, "Discover")
        time.sleep(1)
    assert client.get(NAME, path, CAMERA, "Nickname") == "Lake north", \
        bed.daemons["camerad"].log()
    assert client.get(NAME, *MANAGER, "Cameras") == [path]
    client.close()


def test_camera_typed_by_url_across_ap0(make_testbed):
    bed = make_testbed(start=False, netns=True)
    bed.start_clockd()
    sim = bed.start_sim(offset_ms=-1500, args=["--fault", "ssdp-silent"])
    bed.start_camerad({"PICAMSYNC_DISCOVERY": "0"})
    client = BusClient(bed.bus.address)
    path = client.call(NAME, *MANAGER, "AddCamera", "s", (sim["camera"],), timeout_ms=60000)[0]
    assert client.get(NAME, path, CAMERA, "Connected") is True
    offset, bound = client.call(NAME, path, CAMERA, "MeasureOffset", timeout_ms=60000)
    assert abs(offset + 1_500_000) <= bound + 5_000
    client.close()


def test_silent_camera_is_not_discovered(make_testbed):
    bed = make_testbed(start=False, netns=True)
    bed.start_clockd()
    bed.start_sim(args=["--fault", "ssdp-silent"])
    bed.start_camerad()
    client = BusClient(bed.bus.address)
    assert wait_for_cameras(client, timeout=4) == []
    client.close()


def sim_post(bed, url, body):
    """POST to the simulator's control API from the Pi's namespace (the camera's address is
    reached through the access point there)."""
    out = subprocess.run(["ip", "netns", "exec", bed.netns("pi"), "curl", "-sS", "-m", "5",
                          "-X", "POST", "-H", "Content-Type: application/json",
                          "-d", json.dumps(body), url],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_camera_moves_to_a_new_port_mid_timelapse(make_testbed):
    """The camera changes address while it shoots and announces the new LOCATION by SSDP:
    camerad keeps the camera (same path), changes Url, and the frames after the move go to
    the new address."""
    bed = make_testbed(start=False, netns=True)
    bed.start_clockd()
    sim = bed.start_sim()
    bed.start_camerad({"PICAMSYNC_CAMERA_CHECK_INTERVAL": "600000"})
    client = BusClient(bed.bus.address)
    cameras = wait_for_cameras(client)
    assert len(cameras) == 1, bed.daemons["camerad"].log()
    path = cameras[0]
    assert client.get(NAME, path, CAMERA, "Url") == "http://192.168.4.7:8080/ccapi"
    client.call(NAME, path, CAMERA, "StartTimelapse", "a{sv}",
                ({"interval_ms": GLib.Variant("u", 1000), "shots": GLib.Variant("u", 12)},),
                timeout_ms=60000)
    deadline = time.monotonic() + 20
    while client.get(NAME, path, CAMERA, "ShotsTaken") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    # (The request log starts again at the move.)
    moved = sim_post(bed, sim["sim"], {"move": {"port": 8081}, "connections": 0})
    assert moved["urls"]["camera"] == "http://192.168.4.7:8081/ccapi"
    deadline = time.monotonic() + 30
    while (client.get(NAME, path, CAMERA, "Url") != "http://192.168.4.7:8081/ccapi"
           and time.monotonic() < deadline):
        time.sleep(0.2)
    log = bed.daemons["camerad"].log()
    assert client.get(NAME, path, CAMERA, "Url") == "http://192.168.4.7:8081/ccapi", log
    assert client.get(NAME, *MANAGER, "Cameras") == [path]
    assert ("moved from http://192.168.4.7:8080/ccapi to http://192.168.4.7:8081/ccapi"
            in log)
    deadline = time.monotonic() + 30
    while (client.get(NAME, path, CAMERA, "TimelapseState") != "idle"
           and time.monotonic() < deadline):
        time.sleep(0.2)
    taken = client.get(NAME, path, CAMERA, "ShotsTaken")
    failed = client.get(NAME, path, CAMERA, "ShotsFailed")
    state = sim_post(bed, moved["urls"]["sim"], {})
    print(f"taken {taken}, failed {failed}, shots the camera took {state['shots']}")
    assert taken + failed == 12
    # Every shot the camera took (before and after the move) counts, and some came after it.
    assert state["shots"] == taken
    after = [r for r in state["requestLog"] if r["path"].endswith("/shutterbutton")]
    assert after, "no frame after the move"
    assert state["connections"] >= 1
    client.close()

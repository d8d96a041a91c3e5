# SPDX-License-Identifier: LGPL-2.1-or-later
"""The access-point/LAN distinction across real interfaces: webd socket-activated in the Pi's
namespace on every address, PICAMSYNC_AP_INTERFACES=ap0; the laptop (on wlan0, 10.77.0.1) is a
LAN client, the phone (on the ap0 bridge, 192.168.4.1) an AP client. Clients run in their own
namespaces (their sockets are made there)."""

import json
import time
import types
import urllib.request

from busclient import BusClient
from testbed_clients import CLOCK, SYNC1, TWO_HOURS_MS, Client, is_event, pi_minus_host_ms


def netns_bed(make_testbed):
    bed = make_testbed(start=False, netns=True, pi_offset_ms=-TWO_HOURS_MS)
    bed.start(camera=False)
    return bed


def client_in(bed, role, net, skew_ms=0.0):
    """A page in role's namespace, opened at the Pi's address on net ("ap" or "lan")."""
    url = bed.network.webd_urls[net]["ws"]
    return bed.network.call_in(role, Client, types.SimpleNamespace(ws_url=url), skew_ms=skew_ms)


def http_get_in(bed, role, url):
    def get():
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    return bed.network.call_in(role, get)


def test_webd_urls_per_network(make_testbed):
    bed = netns_bed(make_testbed)
    urls = bed.describe()["netns"]["webd"]
    assert urls["ap"]["http"] == "http://192.168.4.1:80"
    assert urls["lan"]["ws"] == "ws://10.77.0.1:80/ws"
    # The same webd answers on both networks.
    for role, net in (("laptop", "lan"), ("phone", "ap")):
        status, body = http_get_in(bed, role, urls[net]["http"] + "/api/system/time")
        assert status == 200 and body["reliable"] is False
    assert bed.http_url == urls["ap"]["http"] and bed.ws_url == urls["ap"]["ws"]


def test_lan_client_is_not_checked_and_syncs_by_hand(make_testbed):
    bed = netns_bed(make_testbed)
    c = client_in(bed, "laptop", "lan")
    bus = BusClient(bed.bus.address)
    try:
        assert c.welcome()["interface"] == "lan", bed.daemons["webd"].log()
        # An AP client's check starts right after welcome: three seconds is plenty to see one.
        got = c.messages_for(3)
        assert not [m for m in got if m["type"] == "time-sync-request"], got
        assert bus.get(*SYNC1, "ClientsLan") == 1 and bus.get(*SYNC1, "ClientsAp") == 0
        assert bus.get(*CLOCK, "Reliable") is False
        assert abs(pi_minus_host_ms(bed) + TWO_HOURS_MS) < 1000

        result = c.manual_sync()
        assert result["data"]["success"] is True and result["data"]["stepped"] is True
        assert abs(pi_minus_host_ms(bed)) < 1000
        assert bus.get(*CLOCK, "Reliable") is True
        assert bus.get(*CLOCK, "LastSyncSource") == "manual"
    finally:
        c.close()
        bus.close()


def test_phone_on_ap0_is_checked(make_testbed):
    bed = netns_bed(make_testbed)
    c = client_in(bed, "phone", "ap")
    bus = BusClient(bed.bus.address)
    try:
        assert c.welcome()["interface"] == "ap", bed.daemons["webd"].log()
        ev = c.wait_for(is_event("pi-sync"))
        assert ev["data"]["source"] == "client-ap" and ev["data"]["stepped"] is True
        assert abs(ev["data"]["offset"] - TWO_HOURS_MS) < 1000
        assert any(m["type"] == "time-sync-request" for m in c.messages)
        assert abs(pi_minus_host_ms(bed)) < 50
        assert bus.get(*CLOCK, "LastSyncSource") == "client-ap"
        assert bus.get(*SYNC1, "ClientsAp") == 1 and bus.get(*SYNC1, "ClientsLan") == 0
    finally:
        c.close()
        bus.close()


def test_same_pi_lan_then_ap(make_testbed):
    """One webd: the laptop stays LAN while the phone on ap0 is checked."""
    bed = netns_bed(make_testbed)
    laptop = client_in(bed, "laptop", "lan")
    phone = None
    try:
        assert laptop.welcome()["interface"] == "lan"
        phone = client_in(bed, "phone", "ap")
        assert phone.welcome()["interface"] == "ap"
        phone.wait_for(is_event("pi-sync"))
        # The laptop hears about the sync but was never asked for its time.
        laptop.wait_for(is_event("pi-sync"))
        assert not [m for m in laptop.messages if m["type"] == "time-sync-request"]
    finally:
        laptop.close()
        if phone:
            phone.close()


def test_status_names_the_camera_as_it_names_itself(make_testbed):
    """A body's nickname reaches the pages: from the UPnP description (SSDP), through camerad's
    Nickname, into the status object beside the model without its doubled brand."""
    bed = make_testbed(start=False, netns=True)
    bed.start_clockd()
    bed.start_sim(args=["--nickname", "Lake north"])
    bed.start_camerad({"PICAMSYNC_CAMERA_CHECK_INTERVAL": "600000"})
    bed.start_webd()
    url = bed.network.webd_urls["ap"]["http"] + "/api/timesync/status"
    deadline = time.monotonic() + 30
    camera = {}
    while time.monotonic() < deadline:
        camera = http_get_in(bed, "phone", url)[1]["status"]["camera"]
        if camera.get("nickname"):
            break
        time.sleep(0.2)
    assert camera["connected"] is True, bed.daemons["camerad"].log()
    assert camera["model"] == "EOS R50"
    assert camera["nickname"] == "Lake north"

# SPDX-License-Identifier: LGPL-2.1-or-later
"""tools/ccapi-sim against real processes on 127.0.0.1 (port 0), urllib only. SSDP runs in a
private network namespace (ssdp_probe.py). The simulator never sets the host's clock."""

import calendar
import datetime
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zoneinfo

import pytest

BUILDDIR = os.environ.get("PICAMSYNC_BUILDDIR",
                          os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SIM = os.path.join(BUILDDIR, "tools", "ccapi-sim", "ccapi-sim")
HERE = os.path.dirname(os.path.abspath(__file__))
CANON_NS = "urn:schemas-canon-com:schema-upnp"
UPNP_NS = "urn:schemas-upnp-org:device-1-0"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


class Sim:
    def __init__(self, *args, env=None):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([SIM, "--port", "0", "--no-ssdp", "--print-json", *args],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     env=dict(os.environ, **(env or {})))
        line = self.proc.stdout.readline()
        assert line, "ccapi-sim exited before listening: " + self.stderr()
        self.urls = json.loads(line)
        self.camera = self.urls["camera"]
        self.sim = self.urls["sim"]

    def stderr(self):
        self.log.seek(0)
        return self.log.read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        rc = self.proc.wait(timeout=20)
        self.proc.stdout.close()
        log = self.stderr()
        # Sanitizer findings fail the test even when the exit status would not.
        assert "runtime error" not in log and "Sanitizer" not in log, log
        return rc

    def state(self):
        return request("GET", self.sim)[2]

    def set(self, **kw):
        status, _, body = request("POST", self.sim, kw)
        assert status == 200, body
        return body


def request(method, url, body=None, timeout=10, opener=None, context=None):
    """(status, headers, parsed JSON or raw bytes) — also for 4xx/5xx."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        if opener:
            r = opener.open(req, timeout=timeout)
        else:
            r = urllib.request.urlopen(req, timeout=timeout, context=context)
        with r:
            status, headers, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, headers, raw = e.code, e.headers, e.read()
    try:
        return status, headers, json.loads(raw)
    except ValueError:
        return status, headers, raw


@pytest.fixture
def sim():
    s = Sim("--zone", "Europe/Berlin")
    yield s
    assert s.stop() == 0, s.stderr()


def ccapi_parse(text, dst):
    """The test's own reading of the CCAPI date: UTC = wall - offset - (dst ? 1 h : 0)."""
    wday, rest = text.split(", ")
    day, mon, year, hms, off = rest.split(" ")
    h, m, s = (int(x) for x in hms.split(":"))
    sign = -1 if off[0] == "-" else 1
    offset = sign * (int(off[1:3]) * 60 + int(off[3:5]))
    wall = calendar.timegm((int(year), MONTHS.index(mon) + 1, int(day), h, m, s))
    assert DAYS[datetime.datetime.utcfromtimestamp(wall).weekday()] == wday
    return wall - offset * 60 - (3600 if dst else 0), offset


def get_datetime(camera):
    t0 = time.time()
    status, _, body = request("GET", camera + "/ver100/functions/datetime")
    t1 = time.time()
    assert status == 200, body
    utc, offset = ccapi_parse(body["datetime"], body["dst"])
    return t0, t1, utc, offset, body


def iso_ms(text):
    """"2025-07-01T12:00:00.123Z" -> ms since the epoch."""
    d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return calendar.timegm(d.timetuple()) * 1000 + d.microsecond // 1000


def wait_until(pred, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


# --- endpoints ------------------------------------------------------------------------------

def test_listing_path(sim):
    status, headers, body = request("GET", sim.camera)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    paths = {e["path"]: e for v in ("ver100", "ver110") for e in body[v]}
    dt = paths["/ccapi/ver100/functions/datetime"]
    assert dt == {"path": "/ccapi/ver100/functions/datetime", "get": True, "put": True,
                  "post": False, "delete": False}
    assert paths["/ccapi/ver100/shooting/control/shutterbutton"]["post"] is True
    assert "/ccapi/ver110/devicestatus/storage" in [e["path"] for e in body["ver110"]]
    for p in paths:   # everything listed answers
        if paths[p]["get"]:
            assert request("GET", sim.camera.replace("/ccapi", "") + p)[0] == 200, p


def test_listing_url_and_none():
    a, b = Sim("--listing", "url"), Sim("--listing", "none")
    try:
        body = request("GET", a.camera)[2]
        urls = [e["url"] for e in body["ver100"]]
        assert a.camera + "/ver100/functions/datetime" in urls
        assert all("path" not in e for e in body["ver100"])
        assert request("GET", urls[0])[0] == 200

        assert request("GET", b.camera)[2] == {"value": "No list of APIs"}
        status, _, top = request("GET", b.camera + "/ver100/topurlfordev")
        assert status == 200
        assert "/ccapi/ver100/functions/datetime" in [e["path"] for e in top["ver100"]]
    finally:
        assert a.stop() == 0 and b.stop() == 0


def test_deviceinformation(sim):
    # As a real body: the brand in the product name, no nickname (that is in the description).
    info = request("GET", sim.camera + "/ver100/deviceinformation")[2]
    assert info["manufacturer"] == "Canon" and info["productname"] == "Canon EOS R50"
    assert "nickname" not in info
    s = Sim("--model", "Canon EOS R6 Mark II", "--serial", "987654321098", "--nickname", "Cam A")
    try:
        status, _, info = request("GET", s.camera + "/ver100/deviceinformation")
        assert status == 200
        assert info["manufacturer"] == "Canon"
        assert info["productname"] == "Canon EOS R6 Mark II"
        assert info["serialnumber"] == "987654321098"
        assert "nickname" not in info
        assert info["firmwareversion"] and info["macaddress"].count(":") == 5
        assert len(info["guid"]) == 36
        desc = ET.fromstring(request("GET", s.urls["description"])[2])
        assert desc.findtext(".//{%s}X_deviceNickname" % CANON_NS) == "Cam A"
        assert desc.findtext(".//{%s}modelName" % UPNP_NS) == "Canon EOS R6 Mark II"
        # Renamed on the body: the description says so, deviceinformation still does not.
        assert s.state()["nickname"] == "Cam A"
        assert s.set(nickname="Lake “north”")["nickname"] == "Lake “north”"
        desc = ET.fromstring(request("GET", s.urls["description"])[2])
        assert desc.findtext(".//{%s}X_deviceNickname" % CANON_NS) == "Lake “north”"
        assert "nickname" not in request("GET", s.camera + "/ver100/deviceinformation")[2]
    finally:
        assert s.stop() == 0


def test_status_endpoints_and_shutter(sim):
    battery = request("GET", sim.camera + "/ver100/devicestatus/battery")[2]
    assert battery["kind"] == "battery" and battery["level"]
    card = request("GET", sim.camera + "/ver110/devicestatus/storage")[2]["storagelist"][0]
    space = card["spacesize"]
    assert space > 0 and card["maxsize"] >= space

    sim.set(writeMs=2000)
    status, _, body = request("POST", sim.camera + "/ver100/shooting/control/shutterbutton",
                              {"af": False})
    assert (status, body) == (200, {})
    # Still writing: busy, for shots and for setting the clock.
    status, _, body = request("POST", sim.camera + "/ver100/shooting/control/shutterbutton",
                              {"af": False})
    assert (status, body) == (503, {"message": "Device busy"})
    st = sim.state()
    assert st["shots"] == 1 and st["writingForMs"] > 0
    assert wait_until(lambda: sim.state()["writingForMs"] == 0)
    assert request("POST", sim.camera + "/ver100/shooting/control/shutterbutton",
                   {"af": False})[0] == 200
    assert sim.state()["shots"] == 2
    card = request("GET", sim.camera + "/ver110/devicestatus/storage")[2]["storagelist"][0]
    assert card["spacesize"] < space
    assert request("POST", sim.camera + "/ver100/shooting/control/shutterbutton",
                   {"af": "no"})[0] == 400

    # Auto power-off in seconds, as real bodies give it (an EOS R50's menu).
    apo = request("GET", sim.camera + "/ver100/functions/autopoweroff")[2]
    assert apo == {"value": "60", "ability": ["30", "60", "180", "300", "600", "disable"]}
    assert request("PUT", sim.camera + "/ver100/functions/autopoweroff",
                   {"value": "disable"}) [:3:2] == (200, {})
    assert request("GET", sim.camera + "/ver100/functions/autopoweroff")[2]["value"] == "disable"
    for old_style in ("1min", "3min", "45", 60):
        assert request("PUT", sim.camera + "/ver100/functions/autopoweroff",
                       {"value": old_style})[:3:2] == (400, {"message": "Invalid parameter"})
    assert sim.state()["autoPowerOff"] == "disable"
    sim.set(autoPowerOff="600")
    assert request("GET", sim.camera + "/ver100/functions/autopoweroff")[2]["value"] == "600"
    assert request("GET", sim.camera + "/ver100/nothing")[0] == 404


# --- the clock --------------------------------------------------------------------------------

def test_datetime_truth_and_dst_convention():
    s = Sim("--zone", "America/Los_Angeles", "--offset-ms", "4000")
    try:
        for _ in range(3):
            t0, t1, utc, offset, body = get_datetime(s.camera)
            st = s.state()
            off = st["offsetMs"] / 1000
            assert abs(off - 4.0) < 0.001
            # One read brackets the camera's whole second between send and receive.
            assert int(t0 + off) <= utc <= int(t1 + off) + 1
            # The zone's convention, from Python's own zoneinfo: standard offset + dst flag.
            local = datetime.datetime.fromtimestamp(utc, zoneinfo.ZoneInfo("America/Los_Angeles"))
            assert body["dst"] == bool(local.dst())
            assert offset == -480
            assert st["utcOffsetMinutes"] == -480 and st["dst"] == body["dst"]
            assert st["gets"] >= 1
    finally:
        assert s.stop() == 0


def test_put_sets_clock_and_restarts_phase(sim):
    target = "Tue, 01 Jul 2025 16:00:00 +0100"
    t0 = time.time()
    status, _, body = request("PUT", sim.camera + "/ver100/functions/datetime",
                              {"datetime": target, "dst": True})
    t1 = time.time()
    assert (status, body) == (200, {})
    st = sim.state()
    want = calendar.timegm((2025, 7, 1, 14, 0, 0))
    # The camera read exactly `want` when the PUT was handled, some time in [t0, t1].
    put_host = want - st["offsetMs"] / 1000
    assert t0 - 0.002 <= put_host <= t1 + 0.002
    assert st["puts"] == 1 and st["lastPutAt"] is not None
    assert st["utcOffsetMinutes"] == 60 and st["dst"] is True and st["zone"] is None
    assert abs(st["phaseMs"] - (st["offsetMs"] % 1000)) < 0.01

    # The seconds tick one whole second after the PUT: bracket that edge.
    last_old = first_new = None
    while first_new is None:
        a, b, utc, offset, body = get_datetime(sim.camera)
        assert body["datetime"].endswith("+0100") and body["dst"] is True
        if utc == want:
            last_old = a
        else:
            assert utc == want + 1
            first_new = b
    assert last_old is not None
    assert last_old - 0.002 <= put_host + 1 <= first_new + 0.002


def test_put_invalid_leaves_state(sim):
    before = sim.state()
    for body in [{"datetime": "Tue, 01 Jul 2025 16:00:00", "dst": True},
                 {"datetime": "Wed, 01 Jul 2025 16:00:00 +0100", "dst": True},
                 {"datetime": "Tue, 01 Jul 2025 16:00:00 +0100"},
                 {"datetime": "Tue, 01 Jul 2025 16:00:00 +0100", "dst": "true"},
                 [1, 2], "garbage"]:
        status, _, answer = request("PUT", sim.camera + "/ver100/functions/datetime", body)
        assert (status, answer) == (400, {"message": "Invalid parameter"}), body
    after = sim.state()
    assert after["puts"] == 0 and after["zone"] == "Europe/Berlin"
    assert abs(after["offsetMs"] - before["offsetMs"]) < 0.001


def test_drift():
    s = Sim("--drift-ppm", "100000", "--offset-ms", "-1500")
    try:
        a = s.state()
        ha = time.time()
        wait_until(lambda: time.time() - ha > 0.3)
        b = s.state()
        # 100000 ppm: the offset grows by 0.1 ms per host ms (hostTime: when it was read).
        host_ms = (iso_ms(b["hostTime"]) - iso_ms(a["hostTime"]))
        assert host_ms >= 300
        assert abs((b["offsetMs"] - a["offsetMs"]) - 0.1 * host_ms) < 0.3
        # And the camera's time follows the drifting offset.
        t0, t1, utc, _, _ = get_datetime(s.camera)
        off = s.state()["offsetMs"] / 1000
        assert int(t0 + off) - 1 <= utc <= int(t1 + off) + 1
        s.set(driftPpm=0, offsetMs=250)
        c = s.state()
        assert c["driftPpm"] == 0 and abs(c["offsetMs"] - 250) < 0.01
    finally:
        assert s.stop() == 0


def test_latency_is_a_round_trip_split_in_half(sim):
    sim.set(offsetMs=0, latencyMs=800)
    # Send when the camera's second is 300..350 ms old: the clock is read 400 ms later, in the
    # same second; the answer arrives another 400 ms later, in the next one.
    assert wait_until(lambda: 300 <= (time.time() * 1000) % 1000 <= 350, timeout=3)
    t0, t1, utc, _, _ = get_datetime(sim.camera)
    assert t1 - t0 >= 0.8
    assert utc == int(t0), (t0, t1, utc)
    assert int(t1) == int(t0) + 1
    # Send when it is 700..750 ms old: read 400 ms later, already the next second.
    assert wait_until(lambda: 700 <= (time.time() * 1000) % 1000 <= 750, timeout=3)
    t0, t1, utc, _, _ = get_datetime(sim.camera)
    assert utc == int(t0) + 1, (t0, t1, utc)
    assert wait_until(lambda: "latency=800.0ms" in sim.stderr())


def test_jitter(sim):
    sim.set(latencyMs=100, jitterMs=100)
    spent = []
    for _ in range(8):
        t0 = time.monotonic()
        assert request("GET", sim.camera + "/ver100/devicestatus/battery")[0] == 200
        spent.append(time.monotonic() - t0)
    # The latencies drawn, from the simulator's log: uniform in 100 ms +/- 100 ms.
    def logged():
        return [float(line.rsplit("latency=", 1)[1].rstrip("ms"))
                for line in sim.stderr().splitlines() if "/devicestatus/battery 200" in line]
    assert wait_until(lambda: len(logged()) == 8)   # logged just after the answer went out
    drawn = logged()
    assert all(0 <= d <= 200 for d in drawn)
    assert max(drawn) - min(drawn) > 20
    # Upper bounds on wall time would be flaky on a busy machine; lower bounds are not.
    assert all(s >= d / 1000 - 0.002 for s, d in zip(spent, drawn))


# --- faults ------------------------------------------------------------------------------------

def test_faults_busy_bad_request_garbage(sim):
    sim.set(fault="busy")
    assert request("GET", sim.camera)[:3:2] == (503, {"message": "Device busy"})
    sim.set(fault="bad-request")
    assert request("GET", sim.camera)[:3:2] == (400, {"message": "Invalid parameter"})
    sim.set(fault="garbage")
    status, _, body = request("GET", sim.camera + "/ver100/functions/datetime")
    assert status == 200 and isinstance(body, bytes)
    with pytest.raises(ValueError):
        json.loads(body)
    sim.set(fault="none", busyForMs=60000)
    assert request("GET", sim.camera)[:3:2] == (503, {"message": "Device busy"})
    assert sim.state()["busyForMs"] > 0
    sim.set(busyForMs=0)
    assert request("GET", sim.camera)[0] == 200


def test_busy_message(sim):
    # The busy fault and the busy window answer with the message set; "Device busy" again
    # once it is set back. This refuses every request; the realistic lasting states are the
    # faults below, each on the requests it concerns.
    assert sim.state()["busyMessage"] == "Device busy"
    sim.set(fault="busy", busyMessage="Can not write to card")
    assert sim.state()["busyMessage"] == "Can not write to card"
    assert request("GET", sim.camera)[:3:2] == (503, {"message": "Can not write to card"})
    sim.set(fault="none", busyForMs=60000, busyMessage="Mode not supported")
    assert request("GET", sim.camera)[:3:2] == (503, {"message": "Mode not supported"})
    sim.set(busyForMs=0, busyMessage="Device busy")
    assert request("GET", sim.camera)[0] == 200
    for bad in ["", 5, "x" * 101, "tab\there"]:
        status, _, answer = request("POST", sim.sim, {"busyMessage": bad})
        assert status == 400 and "busyMessage" in answer["message"], bad
    assert sim.state()["busyMessage"] == "Device busy"


SHUTTER = "/ver100/shooting/control/shutterbutton"

# (fault, the camera's words, which requests it refuses: listing, GET datetime, PUT datetime,
# PUT autopoweroff, shutter). Lasting states refuse what they concern only: a full card stops
# the shutter, not the clock.
STATES_503 = [
    ("busy", "Device busy", (1, 1, 1, 1, 1)),
    ("preparing", "Taken in preparation", (1, 1, 1, 1, 1)),
    ("shooting", "During shooting or recording", (0, 0, 1, 1, 1)),
    ("mode", "Mode not supported", (0, 0, 0, 0, 1)),
    ("card", "Can not write to card", (0, 0, 0, 0, 1)),
    ("focus", "Out of focus", (0, 0, 0, 0, 1)),
    ("unknown-503", "Temporarily unavailable (simulated)", (1, 1, 1, 1, 1)),
]


def five_requests(sim):
    """The statuses and bodies of the five kinds of request, in STATES_503's order."""
    date = request("GET", sim.camera + "/ver100/functions/datetime")
    out = [request("GET", sim.camera),
           date,
           request("PUT", sim.camera + "/ver100/functions/datetime",
                   {"datetime": date[2]["datetime"], "dst": date[2]["dst"]}
                   if date[0] == 200 else {"datetime": "Tue, 01 Jul 2025 14:00:00 +0100",
                                           "dst": True}),
           request("PUT", sim.camera + "/ver100/functions/autopoweroff", {"value": "disable"}),
           request("POST", sim.camera + SHUTTER, {"af": False})]
    return [(status, body) for status, _, body in out]


@pytest.mark.parametrize("fault,words,refused", STATES_503)
def test_503_states_on_the_requests_they_concern(sim, fault, words, refused):
    sim.set(writeMs=0)
    st = sim.set(fault=fault)
    assert st["fault"] == fault and st["faultForMs"] is None   # lasts until changed
    answers = five_requests(sim)
    for (status, body), refuses in zip(answers, refused):
        if refuses:
            assert (status, body) == (503, {"message": words})
        else:
            assert status == 200, body
    st = sim.state()
    assert st["shots"] == (0 if refused[4] else 1)
    assert st["shutterLog"][-1]["status"] == (503 if refused[4] else 200)
    # Still there a while later: a lasting state does not pass by itself.
    assert five_requests(sim)[4][0] == 503
    sim.set(fault="none")
    assert [status for status, _ in five_requests(sim)] == [200] * 5


def test_card_state_shows_a_full_card(sim):
    free = request("GET", sim.camera + "/ver110/devicestatus/storage")[2]["storagelist"][0]
    assert free["spacesize"] > 0
    sim.set(fault="card")
    full = request("GET", sim.camera + "/ver110/devicestatus/storage")[2]["storagelist"][0]
    assert full["spacesize"] == 0 and full["maxsize"] == free["maxsize"]


def test_unknown_503_says_the_words_given(sim):
    st = sim.set(fault="unknown-503", faultMessage="Lens cap on")
    assert st["faultMessage"] == "Lens cap on"
    assert request("GET", sim.camera)[:3:2] == (503, {"message": "Lens cap on"})
    assert request("POST", sim.camera + SHUTTER, {"af": False})[:3:2] == \
        (503, {"message": "Lens cap on"})


def test_a_fault_for_a_while_ends_by_itself(sim):
    sim.set(writeMs=0)
    st = sim.set(fault="card", faultForMs=600)
    assert st["fault"] == "card" and 0 < st["faultForMs"] <= 600
    # Right after, still refused (the window is far longer than one local round trip)...
    st = sim.set(fault="card", faultForMs=60000)
    assert request("POST", sim.camera + SHUTTER, {"af": False})[:3:2] == \
        (503, {"message": "Can not write to card"})
    # ...and once it is over the shutter works again, without anyone clearing it.
    sim.set(fault="card", faultForMs=300)
    assert wait_until(lambda: request("POST", sim.camera + SHUTTER, {"af": False})[0] == 200,
                      timeout=20)
    st = sim.state()
    assert st["fault"] == "none" and st["faultForMs"] is None
    assert "fault card is over" in sim.stderr()
    # A new fault replaces a timed one, lasting.
    sim.set(fault="busy", faultForMs=60000)
    assert sim.set(fault="mode")["faultForMs"] is None


def test_fault_from_the_command_line_for_a_while():
    s = Sim("--fault", "mode", "--fault-ms", "60000")
    try:
        st = s.state()
        assert st["fault"] == "mode" and 0 < st["faultForMs"] <= 60000
        assert request("POST", s.camera + SHUTTER, {"af": False})[:3:2] == \
            (503, {"message": "Mode not supported"})
        assert request("GET", s.camera + "/ver100/functions/datetime")[0] == 200
    finally:
        assert s.stop() == 0
    s = Sim("--fault", "unknown-503", "--fault-message", "Sensor cleaning")
    try:
        assert request("GET", s.camera)[:3:2] == (503, {"message": "Sensor cleaning"})
        assert s.state()["faultForMs"] is None
    finally:
        assert s.stop() == 0


def test_preparing():
    s = Sim("--preparing-ms", "60000")
    try:
        assert request("GET", s.camera)[:3:2] == (503, {"message": "Taken in preparation"})
        assert s.state()["preparingForMs"] > 0   # the control API still answers
        s.set(preparingForMs=0)
        assert request("GET", s.camera)[0] == 200
    finally:
        assert s.stop() == 0


def test_fault_hang(sim):
    sim.set(fault="hang")
    with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
        request("GET", sim.camera, timeout=1)
    # The control API is never faulted, and the simulator recovers.
    sim.set(fault="none")
    assert request("GET", sim.camera)[0] == 200


def test_faults_truncated_and_huge(sim):
    sim.set(fault="truncated")
    status, headers, body = request("GET", sim.camera + "/ver100/functions/datetime")
    assert status == 200 and isinstance(body, bytes)
    assert body.startswith(b'{"datetime":"') and len(body) < 60
    with pytest.raises(ValueError):
        json.loads(body)
    sim.set(fault="huge")
    status, headers, body = request("GET", sim.camera + "/ver100/functions/datetime")
    # Chunked: no Content-Length says its size up front; valid JSON, 10 MiB.
    assert status == 200 and headers.get("Content-Length") is None
    assert headers.get("Transfer-Encoding") == "chunked"
    assert len(json.dumps(body, separators=(",", ":")).encode()) == 10 * 1024 * 1024
    sim.set(fault="none")
    assert request("GET", sim.camera)[0] == 200


def test_fault_method_limits_a_fault_to_one_method(sim):
    """faultMethod: only requests of that method get the fault; the 503 states are not
    limited by it."""
    st = sim.set(fault="bad-request", faultMethod="PUT")
    assert st["faultMethod"] == "PUT"
    assert request("GET", sim.camera + "/ver100/functions/datetime")[0] == 200
    assert request("PUT", sim.camera + "/ver100/functions/datetime",
                   {"datetime": "Tue, 01 Jan 2030 00:00:00 +0000", "dst": False})[0] == 400
    assert sim.state()["puts"] == 0
    sim.set(fault="hang", faultMethod="GET")
    with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
        request("GET", sim.camera, timeout=1)
    sim.set(fault="busy", faultMethod="POST")
    assert request("GET", sim.camera)[0] == 503
    assert sim.set(fault="none", faultMethod=None)["faultMethod"] is None
    for bad in ["DELETE", "get", 1, ""]:
        status, _, body = request("POST", sim.sim, {"faultMethod": bad})
        assert status == 400 and "faultMethod" in body["message"], bad


def test_fault_gone(sim):
    sim.set(fault="gone")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError,
                        urllib.error.URLError)):
        request("GET", sim.camera)
    sim.set(fault="none")
    assert request("GET", sim.camera)[0] == 200


def digest_opener(url, user, password):
    mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    mgr.add_password(None, url, user, password)
    return urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(mgr))


def test_fault_auth_digest_flow():
    s = Sim("--user", "alice", "--password", "s3cret", "--fault", "auth")
    try:
        status, headers, _ = request("GET", s.camera)
        assert status == 401
        challenge = headers["WWW-Authenticate"]
        assert challenge.startswith("Digest ") and 'qop="auth"' in challenge
        assert "realm=" in challenge and "nonce=" in challenge

        good = digest_opener(s.camera, "alice", "s3cret")
        status, _, body = request("GET", s.camera + "/ver100/functions/datetime", opener=good)
        assert status == 200 and "datetime" in body
        status, _, body = request("PUT", s.camera + "/ver100/functions/autopoweroff",
                                  {"value": "disable"}, opener=good)
        assert status == 200
        assert s.state()["authFailures"] == 0

        # Wrong password: three failed attempts, then 403 for everyone.
        bad = digest_opener(s.camera, "alice", "wrong")
        assert request("GET", s.camera, opener=bad)[0] == 403
        assert s.state()["authFailures"] == 3
        assert request("GET", s.camera, opener=digest_opener(s.camera, "alice", "s3cret"))[0] \
            == 403
        # Setting the fault again is the user re-entering the camera's settings.
        s.set(fault="auth")
        assert request("GET", s.camera, opener=digest_opener(s.camera, "alice", "s3cret"))[0] \
            == 200
    finally:
        assert s.stop() == 0


def test_https_self_signed():
    # LeakSanitizer's exit-time scan crashes ("Tracer caught signal 11") on the thread in which
    # glib-networking ran the TLS handshake (the dlopen'ed TLS module's thread-local storage),
    # with gcc and clang alike; ASan itself stays on.
    s = Sim("--https-port", "0", env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
                                      ":detect_leaks=0"})
    try:
        assert s.urls["https"].startswith("https://127.0.0.1:")
        ctx = ssl._create_unverified_context()
        status, _, body = request("GET", s.urls["https"], context=ctx)
        assert status == 200 and "ver100" in body
        status, _, body = request("GET", s.urls["https"] + "/ver100/functions/datetime",
                                  context=ctx)
        assert status == 200 and body["datetime"].endswith("+0000")
        with pytest.raises(urllib.error.URLError):   # self-signed: verification fails
            request("GET", s.urls["https"])
    finally:
        assert s.stop() == 0, s.stderr()


# --- control API -------------------------------------------------------------------------------

def test_control_api_validation(sim):
    before = sim.state()
    for body, word in [({"bogus": 1}, "Unknown key"),
                       ({"offsetMs": "4000"}, "offsetMs"),
                       ({"driftPpm": 1e9}, "driftPpm"),
                       ({"latencyMs": -1}, "latencyMs"),
                       ({"fault": "explode"}, "fault"),
                       ({"faultForMs": 100}, "together with"),
                       ({"fault": "card", "faultForMs": -1}, "faultForMs"),
                       ({"fault": "unknown-503", "faultMessage": ""}, "faultMessage"),
                       ({"faultMessage": "x" * 101}, "faultMessage"),
                       ({"faultMessage": "tab\there"}, "faultMessage"),
                       ({"autoPowerOff": "1min"}, "seconds"),
                       ({"nickname": ""}, "nickname"),
                       ({"busyMessage": ""}, "busyMessage"),
                       ({"nickname": "a\nb"}, "nickname"),
                       ({"nickname": "x" * 65}, "nickname"),
                       ({"nickname": 7}, "nickname"),
                       ({"dst": 1}, "dst"),
                       ({"utcOffsetMinutes": 60.5}, "utcOffsetMinutes"),
                       ({"zone": "Mars/Olympus_Mons"}, "zone"),
                       ({"zone": "UTC", "dst": True}, "not both"),
                       ({"offsetMs": 5, "bogus": 1}, "Unknown key"),
                       ([1], "JSON object")]:
        status, _, answer = request("POST", sim.sim, body)
        assert status == 400, body
        assert word in answer["message"] and answer["message"].endswith("."), answer
    after = sim.state()
    for k in ("driftPpm", "latencyMs", "fault", "faultForMs", "faultMessage", "zone",
              "utcOffsetMinutes", "dst", "autoPowerOff", "nickname"):
        assert after[k] == before[k], k
    assert abs(after["offsetMs"] - before["offsetMs"]) < 0.01

    st = sim.set(offsetMs=-7200000, driftPpm=12.5, utcOffsetMinutes=330, dst=False,
                 latencyMs=1, jitterMs=0, shots=5)
    assert abs(st["offsetMs"] + 7200000) < 0.1 and st["driftPpm"] == 12.5
    assert st["utcOffsetMinutes"] == 330 and st["dst"] is False and st["zone"] is None
    assert st["datetime"].endswith("+0530") and st["shots"] == 5 and st["latencyMs"] == 1
    for k in ("offsetMs", "driftPpm", "utcOffsetMinutes", "dst", "shots", "puts", "gets",
              "latencyMs", "jitterMs", "fault", "phaseMs"):
        assert k in st
    assert request("DELETE", sim.sim)[0] == 405


# --- connections ---------------------------------------------------------------------------------

def keepalive_gets(url, n):
    """n GETs on one HTTP/1.1 connection (http.client keeps it); the statuses."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    statuses = []
    try:
        for _ in range(n):
            conn.request("GET", u.path + "/ver100/functions/datetime")
            r = conn.getresponse()
            r.read()
            statuses.append((r.status, r.getheader("Connection")))
    finally:
        conn.close()
    return statuses


def test_keep_alive_counts_and_request_log(sim):
    assert keepalive_gets(sim.camera, 3) == [(200, None)] * 3
    st = sim.state()
    assert st["connections"] == 1 and st["tlsHandshakes"] == 0
    assert [(r["method"], r["path"], r["connection"]) for r in st["requestLog"]] == \
        [("GET", "/ccapi/ver100/functions/datetime", 1)] * 3
    # The control API's own requests are not counted; a reset starts counts and log again.
    st = sim.set(connections=0)
    assert st["connections"] == 0 and st["requestLog"] == []
    keepalive_gets(sim.camera, 1)
    assert sim.state()["connections"] == 1


def test_connection_close_mode_and_idle_timeout(sim):
    sim.set(connectionClose=True, connections=0)
    u = urllib.parse.urlsplit(sim.camera)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", u.path)
    r = conn.getresponse()
    r.read()
    assert r.getheader("Connection") == "close"
    conn.close()
    sim.set(connectionClose=False, idleTimeoutMs=50, connections=0)
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    s.sendall(f"GET {u.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while True:  # the answer, then the camera closes the idle connection (EOF)
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 200")
    assert "closing connection 1, idle for 50 ms" in sim.stderr()


def test_drop_connections(sim):
    u = urllib.parse.urlsplit(sim.camera)
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    s.sendall(f"GET {u.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert s.recv(12) == b"HTTP/1.1 200"
    sim.set(dropConnections=True)
    s.settimeout(10)
    while s.recv(65536):
        pass  # the rest of the answer, then EOF: dropped
    s.close()
    assert "dropping 1 connection(s)" in sim.stderr()


def test_move_to_new_ports(sim):
    old_camera, old_sim = sim.camera, sim.sim
    st = sim.set(move={"port": 0})
    urls = st["urls"]
    assert urls["camera"] != old_camera and urls["sim"] != old_sim
    assert urls["description"].startswith(urls["camera"].rsplit("/", 1)[0])
    wait_until(lambda: request("GET", urls["camera"])[0] == 200)
    with pytest.raises(urllib.error.URLError):
        request("GET", old_camera, timeout=3)
    sim.sim, sim.camera = urls["sim"], urls["camera"]
    assert sim.state()["urls"] == urls
    _, _, body = request("GET", urls["description"])
    assert urls["camera"].encode() in body


def test_connection_keys_validation(sim):
    before = sim.state()
    for body, word in [({"connectionClose": 1}, "connectionClose"),
                       ({"idleTimeoutMs": -5}, "idleTimeoutMs"),
                       ({"dropConnections": False}, "dropConnections"),
                       ({"connections": 3}, "connections"),
                       ({"move": 8080}, "move"),
                       ({"move": {"port": 70000}}, "port"),
                       ({"move": {"where": 1}}, "where"),
                       ({"move": {"port": 0}, "bogus": 1}, "Unknown key")]:
        status, _, answer = request("POST", sim.sim, body)
        assert status == 400, body
        assert word in answer["message"] and answer["message"].endswith("."), answer
    after = sim.state()
    assert after["urls"] == before["urls"]
    assert after["connectionClose"] is False and after["idleTimeoutMs"] == 0
    # A port that is taken: 400, and nothing changes.
    taken = urllib.parse.urlsplit(sim.camera).port
    status, _, answer = request("POST", sim.sim, {"move": {"port": taken}, "latencyMs": 5})
    assert status == 400 and "Cannot listen on port" in answer["message"], answer
    assert sim.state()["latencyMs"] == before["latencyMs"]


def test_two_simulators_at_once():
    a = Sim("--serial", "AAAA00000001", "--offset-ms", "1000")
    b = Sim("--serial", "BBBB00000002", "--offset-ms", "-3000")
    try:
        assert a.camera != b.camera
        a.set(offsetMs=60000)
        assert abs(b.state()["offsetMs"] + 3000) < 1
        assert request("GET", a.camera + "/ver100/deviceinformation")[2]["serialnumber"] \
            == "AAAA00000001"
        assert request("GET", b.camera + "/ver100/deviceinformation")[2]["serialnumber"] \
            == "BBBB00000002"
        _, _, ua, _, _ = get_datetime(a.camera)
        _, _, ub, _, _ = get_datetime(b.camera)
        assert 61 <= ua - ub <= 65
    finally:
        assert a.stop() == 0 and b.stop() == 0


def test_description_document():
    a, b, c = Sim("--serial", "X1"), Sim("--serial", "X2"), Sim("--serial", "X1")
    try:
        udns = []
        for s in (a, b, c):
            status, headers, xml = request("GET", s.urls["description"])
            assert status == 200 and "xml" in headers["Content-Type"]
            root = ET.fromstring(xml)
            assert root.tag == "{%s}root" % UPNP_NS
            dev = root.find("{%s}device" % UPNP_NS)
            # As the CCAPI reference's example description (chapter 2.5).
            assert dev.findtext("{%s}deviceType" % UPNP_NS) == \
                "urn:schemas-canon-com:device:ICPO-CameraControlAPIService:1"
            assert dev.findtext("{%s}manufacturer" % UPNP_NS) == "Canon"
            assert dev.findtext("{%s}modelName" % UPNP_NS) == "Canon EOS R50"
            assert root.findtext("{%s}URLBase" % UPNP_NS) == \
                s.urls["description"].rsplit("/", 1)[0] + "/"
            assert dev.findtext(".//{%s}serviceId" % UPNP_NS) == \
                "urn:schemas-canon-com:serviceId:ICPO-CameraControlAPIService-1"
            assert dev.findtext(".//{%s}X_onService" % CANON_NS) == "0"
            assert dev.findtext("{%s}serialNumber" % UPNP_NS) == s.urls["serial"]
            assert dev.findtext(".//{%s}X_accessURL" % CANON_NS) == s.camera
            assert dev.findtext(".//{%s}X_deviceNickname" % CANON_NS) == "EOSR50"
            udns.append(dev.findtext("{%s}UDN" % UPNP_NS))
        assert udns[0].startswith("uuid:") and udns[0] == udns[2] and udns[0] != udns[1]
    finally:
        for s in (a, b, c):
            assert s.stop() == 0


# --- command line --------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["--listing", "xml"], ["--zone", "Mars/Olympus_Mons"],
                                  ["--port", "70000"], ["--bogus"], ["--bind", "localhost"],
                                  ["--fault", "explode"], ["--latency-ms", "-5"],
                                  ["--fault-ms", "-1"], ["--fault-message", ""],
                                  ["--cert", "/nonexistent"], ["stray"]])
def test_bad_options_exit_2(args):
    r = subprocess.run([SIM, *args], capture_output=True, text=True, timeout=20)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ccapi-sim: "), r.stderr
    assert r.stdout == ""


def test_help_documents_everything():
    r = subprocess.run([SIM, "--help"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0
    for word in ["--offset-ms", "--drift-ppm", "--zone", "--latency-ms", "--jitter-ms",
                 "--port", "--https-port", "--desc-port", "--bind", "--serial", "--model",
                 "--nickname", "--listing", "--preparing-ms", "--write-ms", "--user",
                 "--password", "--no-ssdp", "--ssdp-interface", "--print-json", "--fault",
                 "/sim/state", "hang", "ssdp-silent", "garbage", "gone", "auth",
                 "truncated", "huge", "faultMethod",
                 "--fault-ms", "--fault-message", "faultForMs", "faultMessage", "preparing",
                 "busyMessage",
                 "shooting", "mode", "card", "focus", "unknown-503", "Can not write to card",
                 "Mode not supported", "Out of focus", "During shooting or recording",
                 "/ccapi/ver100/functions/datetime", "CameraDevDesc.xml"]:
        assert word in r.stdout, word


# --- SSDP, inside a private network namespace ----------------------------------------------------

def test_ssdp_in_netns():
    r = subprocess.run(["unshare", "--net", "--", sys.executable,
                        os.path.join(HERE, "ssdp_probe.py"), SIM, "10"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    urls = res["urls"]
    st = "urn:schemas-canon-com:service:ICPO-CameraControlAPIService:1"

    assert [a["headers"]["ST"] for a in res["canon"]] == [st]
    ans = res["canon"][0]["headers"]
    assert ans["LOCATION"] == urls["description"]
    assert ans["USN"].startswith("uuid:") and ans["USN"].endswith("::" + st)
    assert [a["headers"]["ST"] for a in res["rootdevice"]] == ["upnp:rootdevice"]
    root = ET.fromstring(res["description"])
    assert root.findtext(".//{%s}X_accessURL" % CANON_NS) == urls["camera"]

    assert st in [n["headers"]["NT"] for n in res["alive_at_start"]]
    assert st in [n["headers"]["NT"] for n in res["alive_periodic"]]
    assert res["silent_canon"] == [] and res["silent_alive"] == []
    assert len(res["back_canon"]) == 1
    assert res["exit"] == 0
    assert st in [n["headers"]["NT"] for n in res["byebye"]]

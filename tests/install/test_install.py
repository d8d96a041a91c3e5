# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Debian package on a real systemd: built from this tree, installed with dpkg -i into a
booted Debian 12 (tests/install/boot.py), and checked the way a user's Pi would run it:
socket and D-Bus activation by systemd itself, the system users, the hardening together with
what the daemons do, the chain phone -> Pi -> camera, restarts, reinstall, remove, purge.

The tests run in file order on one container: each one goes on from the state the ones
before left. The container has no CAP_SYS_TIME (it shares this machine's clock): clockd and
the other daemons run under the fake Pi clock (libfakeclock) through drop-ins, as on the
testbed, and the one test without it shows that a step is then refused in words."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot  # noqa: E402

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILDDIR = os.environ.get("PICAMSYNC_BUILDDIR", os.path.join(SRCDIR, "build-check"))
STAGE, CLOCKDIR, SERVICES = boot.STAGE, boot.CLOCKDIR, boot.SERVICES
SOCKETS = ["picamsync-webd-http.socket", "picamsync-webd-https.socket"]
PI_OFFSET_MS = -2 * 3600 * 1000        # the Pi after a power cycle: two hours behind
CAMERA_OFFSET_MS = 90 * 1000           # the camera: 90 s ahead
CAMERA_URL = "http://127.0.0.1:8080/ccapi"
SIM_STATE = "http://127.0.0.1:8080/sim/state"
WEBD_SYNC_ID = "4aa013ddce094808b7d0719f7f64fcdc"   # webd/activity-types.c, type "sync"
CLOCKD_STEP_ID = "a43b40f8b2fa4e389602a373b5f8c588"  # clockd/clockd.h, MESSAGE_ID_STEP
CAP_SYS_TIME = 25

dropin = boot.fakeclock_dropin

# A page inside the container: tests/harness/testbed_clients.py's Client, which answers the
# time-sync requests with this (real) clock.
PAGE = """
import json, sys
sys.path.insert(0, "/srv/picamsync-test/harness")
from testbed_clients import Client, is_event

class Webd:
    ws_url = "ws://127.0.0.1:80/ws"

c = Client(Webd())
welcome = c.welcome()
event = c.wait_for(is_event("pi-sync"), timeout=60)
print(json.dumps({"welcome": welcome, "event": event}))
"""

# One HTTP(S) request inside the container: status line, then the body. webd's certificate
# is self-signed (made at its first start), so it is not verified here.
HTTP = """
import ssl, sys, urllib.error, urllib.request
method, url = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
req = urllib.request.Request(url, data=body, method=method,
                             headers={"Content-Type": "application/json"} if body else {})
try:
    with urllib.request.urlopen(req, timeout=30, context=ssl._create_unverified_context()) as r:
        print(r.status); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); sys.stdout.write(e.read().decode())
"""


def fakeclock_tool():
    return os.path.join(BUILDDIR, "tests", "harness", "fakeclock", "fakeclock")


@pytest.fixture(scope="module")
def pkg(tmp_path_factory):
    """The package, built from this tree with tools/build-deb, and its build tree (where the
    camera simulator was built too, for the same system; it is not in the package)."""
    out = os.path.join(BUILDDIR, "install-deb")
    r = subprocess.run([os.path.join(SRCDIR, "tools", "build-deb"), out], capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    deb = r.stdout.strip().splitlines()[-1]
    sims = [p for p in subprocess.run(["find", os.path.join(out, "src"), "-path",
                                       "*/tools/ccapi-sim/ccapi-sim", "-type", "f"],
                                      capture_output=True, text=True).stdout.split()]
    assert sims, "the package build did not build the camera simulator"
    return {"deb": deb, "sim": sims[0], "lintian": open(os.path.join(out, "lintian.txt")).read(),
            "log": open(os.path.join(out, "dpkg-buildpackage.log")).read()}


@pytest.fixture(scope="module")
def box(pkg, tmp_path_factory):
    root = boot.make_root()
    work = str(tmp_path_factory.mktemp("boot"))
    stage = os.path.join(work, "stage")
    clock = os.path.join(work, "clock")
    os.makedirs(stage)
    os.makedirs(clock)
    os.chmod(clock, 0o755)
    shutil.copy(pkg["deb"], os.path.join(stage, "picamsync.deb"))
    shutil.copy(pkg["sim"], os.path.join(stage, "ccapi-sim"))
    shutil.copy(os.path.join(BUILDDIR, "tests", "harness", "fakeclock", "libfakeclock.so"), stage)
    shutil.copytree(os.path.join(SRCDIR, "tests", "harness"), os.path.join(stage, "harness"),
                    ignore=shutil.ignore_patterns("fakeclock", "__pycache__"))
    for name, text in (("page.py", PAGE), ("fetch.py", HTTP)):
        with open(os.path.join(stage, name), "w") as f:
            f.write(text)
    subprocess.run([fakeclock_tool(), "init", os.path.join(clock, "clock"), "--offset-ms",
                    str(PI_OFFSET_MS), "--ppm", "0", "--ntp-synced", "0"], check=True)
    os.chmod(os.path.join(clock, "clock"), 0o644)
    c = boot.Container(root, work, binds=[f"--bind-ro={stage}:{STAGE}",
                                          f"--bind={clock}:{CLOCKDIR}"])
    c.clock_path = os.path.join(clock, "clock")
    print(f"booted to {c.boot_state!r} in {c.boot_seconds:.2f} s")
    try:
        yield c
    finally:
        journal = c.run(["journalctl", "--no-pager", "-b", "-o", "short-monotonic"], check=False,
                        timeout=30).stdout
        with open(os.path.join(work, "journal.txt"), "w") as f:
            f.write(journal)
        c.shutdown()
        print(f"container journal: {os.path.join(work, 'journal.txt')}")


def pi_minus_host_ms(box):
    out = subprocess.run([fakeclock_tool(), "get", box.clock_path], capture_output=True,
                         text=True, check=True).stdout
    return int(out.strip()) / 1e6


def system_state(box):
    state = box.wait_running(120)
    failed = box.run(["systemctl", "--failed", "--no-legend", "--plain"]).stdout.strip()
    return state, failed


def active(box, unit):
    return box.run(["systemctl", "is-active", unit], check=False).stdout.strip()


def main_pid(box, unit):
    return int(box.run(["systemctl", "show", "-P", "MainPID", unit]).stdout.strip())


def proc_status(box, pid):
    text = box.run(["cat", f"/proc/{pid}/status"]).stdout
    return dict(re.findall(r"^(\w+):\s*(.*)$", text, re.M))


def http(box, method, url, body=None):
    args = ["python3", f"{STAGE}/fetch.py", method, url] + ([json.dumps(body)] if body else [])
    out = box.run(args, timeout=60).stdout
    status, _, rest = out.partition("\n")
    return int(status), rest


def uid_of(box, user):
    return int(box.run(["id", "-u", user]).stdout.strip())


def wait_for(what, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def state_files(box):
    """Every file of the daemons' state: path -> sha256."""
    out = box.sh("find /var/lib/picamsync-camera /var/lib/picamsync-web -type f "
                 "-exec sha256sum {} + 2>/dev/null || true").stdout
    return {path: digest for digest, path in (line.split(None, 1) for line in out.splitlines())}


# ---- before the package ----

def test_boots_to_running_without_cap_sys_time(box):
    assert box.boot_state == "running", box.run(["systemctl", "--failed"], check=False).stdout
    state, failed = system_state(box)
    assert (state, failed) == ("running", "")
    for field in ("CapBnd", "CapEff"):
        caps = int(proc_status(box, 1)[field], 16)
        assert not caps & (1 << CAP_SYS_TIME), f"{field} of the container's PID 1: {caps:x}"


# ---- dpkg -i ----

def test_install_reaches_running_with_no_failed_unit(box):
    for s in SERVICES:
        box.write(f"/etc/systemd/system/{s}.service.d/fakeclock.conf", dropin(s))
    r = box.run(["dpkg", "-i", f"{STAGE}/picamsync.deb"], check=False, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert system_state(box) == ("running", "")
    for s in SOCKETS:
        assert box.run(["systemctl", "is-enabled", s]).stdout.strip() == "enabled"
        assert active(box, s) == "active"
    for s in SERVICES:
        assert box.run(["systemctl", "is-enabled", s]).stdout.strip() == "enabled"
        assert active(box, s) == "inactive", f"{s} was started by the installation"
    # ap0's unit is enabled for wlan0's device; this container has no wlan0, so it stays off.
    assert box.run(["systemctl", "is-enabled", "picamsync-ap0.service"]).stdout.strip() == \
        "enabled"
    assert box.run(["test", "-L", "/etc/systemd/system/sys-subsystem-net-devices-wlan0.device"
                    ".wants/picamsync-ap0.service"], check=False).returncode == 0
    assert active(box, "picamsync-ap0") == "inactive"
    conf = box.run(["cat", "/etc/picamsync/picamsync.conf"]).stdout
    assert "#TIME_SYNC_THRESHOLD=1000" in conf
    assert "/etc/picamsync/picamsync.conf" in box.run(["dpkg-query", "-W", "-f=${Conffiles}",
                                                       "picamsync"]).stdout


def test_sysusers_created_the_users(box):
    for user in ("picamsync-web", "picamsync-camera"):
        entry = box.run(["getent", "passwd", user], check=False).stdout.strip().split(":")
        assert entry[0] == user, f"no user {user}"
        assert int(entry[2]) < 1000 and entry[6] in ("/usr/sbin/nologin", "/sbin/nologin"), entry
    # The group whose members may use picamsyncctl's changing commands: a system group.
    entry = box.run(["getent", "group", "picamsync"], check=False).stdout.strip().split(":")
    assert entry[0] == "picamsync" and int(entry[2]) < 1000, entry


# The command-line tool, its completion and the five manual pages, from the package.
CLI_FILES = [
    "/usr/bin/picamsyncctl",
    "/usr/share/bash-completion/completions/picamsyncctl",
    "/usr/share/man/man1/picamsyncctl.1.gz",
    "/usr/share/man/man5/picamsync.conf.5.gz",
    "/usr/share/man/man8/picamsync-clockd.8.gz",
    "/usr/share/man/man8/picamsync-camerad.8.gz",
    "/usr/share/man/man8/picamsync-webd.8.gz",
]


def test_package_carries_the_cli_completion_and_manual_pages(box):
    listed = box.run(["dpkg", "-L", "picamsync"]).stdout.splitlines()
    for path in CLI_FILES:
        assert path in listed, f"{path} is not in the package"
        assert box.run(["test", "-s", path], check=False).returncode == 0, f"{path} is missing"
    for page in CLI_FILES[2:]:
        roff = box.run(["zcat", page]).stdout
        assert roff.startswith(".\\\" Generated by scdoc"), page


def test_first_bus_calls_activate_clockd_and_camerad(box):
    assert active(box, "picamsync-clockd") == "inactive"
    assert active(box, "picamsync-camerad") == "inactive"
    r = box.run(["busctl", "--system", "get-property", "org.picamsync.Clock1",
                 "/org/picamsync/Clock1", "org.picamsync.Clock1", "TimeUSec"], check=False)
    assert r.returncode == 0, r.stderr
    r = box.run(["busctl", "--system", "get-property", "org.picamsync.Camera1",
                 "/org/picamsync/Camera1", "org.picamsync.Camera1.Manager", "Cameras"],
                check=False)
    assert r.returncode == 0, r.stderr
    clockd = proc_status(box, main_pid(box, "picamsync-clockd"))
    assert clockd["Uid"].split()[0] == "0"
    assert clockd["NoNewPrivs"] == "1"
    camerad = proc_status(box, main_pid(box, "picamsync-camerad"))
    assert int(camerad["Uid"].split()[0]) == uid_of(box, "picamsync-camera")
    assert int(camerad["CapEff"], 16) == 0 and camerad["NoNewPrivs"] == "1"
    # By the bus: dbus-daemon asked systemd for them.
    journal = box.run(["journalctl", "--no-pager", "-u", "dbus.service"]).stdout
    for name in ("org.picamsync.Clock1", "org.picamsync.Camera1"):
        assert f"Activating via systemd: service name='{name}'" in journal, journal[-2000:]


def test_sockets_start_webd_on_the_first_request(box):
    listening = box.run(["cat", "/proc/net/tcp6"]).stdout
    for port in ("0050", "01BB"):
        assert re.search(rf"^\s*\d+: 0+:{port} 0+:0000 0A ", listening, re.M), listening
    assert active(box, "picamsync-webd") == "inactive"
    t0 = time.monotonic()
    status, body = http(box, "GET", "http://127.0.0.1/")
    print(f"first request to webd's answer (socket activation): {time.monotonic() - t0:.2f} s")
    assert status == 200 and "<html" in body.lower(), body[:500]
    status, body = http(box, "GET", "https://127.0.0.1/")
    assert status == 200 and "<html" in body.lower(), body[:500]
    assert active(box, "picamsync-webd") == "active"
    webd = proc_status(box, main_pid(box, "picamsync-webd"))
    assert int(webd["Uid"].split()[0]) == uid_of(box, "picamsync-web")
    assert int(webd["CapEff"], 16) == 0, webd["CapEff"]
    assert webd["NoNewPrivs"] == "1"


def test_chain_steps_the_pi_and_sets_the_camera(box):
    # The container's one interface is lo: pages there count as on the access point.
    box.write("/etc/systemd/system/picamsync-webd.service.d/ap.conf",
              "[Service]\nEnvironment=PICAMSYNC_AP_INTERFACES=lo\n")
    box.run(["systemctl", "daemon-reload"])
    box.run(["systemctl", "restart", "picamsync-webd"])
    assert abs(pi_minus_host_ms(box) - PI_OFFSET_MS) < 1000

    # The phone: its page steps the Pi.
    r = box.run(["python3", f"{STAGE}/page.py"], check=False, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    page = json.loads(r.stdout)
    assert page["welcome"]["interface"] == "ap", page
    assert page["event"]["data"]["source"] == "client-ap", page
    assert page["event"]["data"]["stepped"] is True, page
    assert abs(pi_minus_host_ms(box)) < 500, "the Pi clock was not stepped"

    # The camera, 90 s ahead, named in the configuration (the edit a user makes; kept on
    # reinstall, see below): measured and set from the Pi.
    box.run(["systemd-run", "--unit=ccapi-sim", "--property=DynamicUser=yes",
             f"{STAGE}/ccapi-sim", "--port", "8080", "--no-ssdp", "--offset-ms",
             str(CAMERA_OFFSET_MS), "--serial", "BOOT0001"])
    wait_for("the camera simulator",
             lambda: box.run(["python3", f"{STAGE}/fetch.py", "GET", SIM_STATE],
                             check=False).stdout.startswith("200"), 30)
    box.sh("printf '\\n# Added by the boot test\\nPICAMSYNC_CAMERA_URLS=%s\\n"
           "PICAMSYNC_DISCOVERY=0\\n' >> /etc/picamsync/picamsync.conf" % CAMERA_URL)
    box.run(["systemctl", "restart", "picamsync-camerad"])

    def camera_offset():
        status, body = http(box, "GET", SIM_STATE)
        offset = json.loads(body)["offsetMs"] if status == 200 else None
        return offset is not None and abs(offset) < 1000 and f"{offset} ms"
    wait_for("the camera to be set", camera_offset, 90)

    def camera_status():
        status, body = http(box, "GET", "http://127.0.0.1/api/timesync/status")
        return json.loads(body)["status"]["camera"] if status == 200 else {}
    camera = camera_status()
    assert camera["connected"] is True and camera["url"] == CAMERA_URL, camera
    wait_for("webd to show the camera set",
             lambda: camera_status().get("lastSyncTime"), 30)
    assert abs(pi_minus_host_ms(box)) < 500, "the camera moved the Pi"


def test_journal_holds_the_step(box):
    out = box.run(["journalctl", "--no-pager", "-o", "json", f"MESSAGE_ID={WEBD_SYNC_ID}",
                   "_SYSTEMD_UNIT=picamsync-webd.service"]).stdout
    entries = [json.loads(line) for line in out.splitlines()]
    steps = [e for e in entries if e.get("PICAMSYNC_SOURCE") == "client-ap"
             and "PICAMSYNC_OFFSET_USEC" in e]
    assert steps, entries
    e = steps[-1]
    assert e["PICAMSYNC_ACTIVITY_TYPE"] == "sync" and e["SYSLOG_IDENTIFIER"] == "webd"
    assert abs(int(e["PICAMSYNC_OFFSET_USEC"]) + PI_OFFSET_MS * 1000) < 1_000_000, e
    out = box.run(["journalctl", "--no-pager", "-o", "json", f"MESSAGE_ID={CLOCKD_STEP_ID}",
                   "_SYSTEMD_UNIT=picamsync-clockd.service"]).stdout
    assert any(json.loads(line).get("PICAMSYNC_SOURCE") == "client-ap"
               for line in out.splitlines()), out


def test_security_on_the_running_system_matches_the_offline_check(box, pkg, tmp_path):
    extracted = str(tmp_path / "deb")
    subprocess.run(["dpkg-deb", "-x", pkg["deb"], extracted], check=True)

    def exposure(text, unit):
        m = re.search(rf"Overall exposure level for {unit}: ([0-9.]+)", text)
        assert m, text[-1000:]
        return float(m.group(1))
    for s in SERVICES:
        unit = s + ".service"
        offline = subprocess.run(["systemd-analyze", "security", "--offline=true",
                                  f"--root={extracted}", unit], capture_output=True, text=True)
        running = box.run(["systemd-analyze", "security", unit], check=False)
        assert exposure(running.stdout + running.stderr, unit) == \
            exposure(offline.stdout + offline.stderr, unit), unit


def test_state_outlives_kill_and_restart(box):
    status, body = http(box, "POST", "http://127.0.0.1/api/timelapse",
                        {"intervalMs": 1000, "shots": 2, "title": "boot test"})
    assert status == 201, body
    wait_for("the timelapse to end", lambda: json.loads(
        http(box, "GET", "http://127.0.0.1/api/timelapse")[1])["state"] == "idle", 60)
    before = state_files(box)
    history = [p for p in before if p.startswith("/var/lib/picamsync-camera/")
               and p.endswith(".history")]
    assert history, f"no drift history in camerad's state: {sorted(before)}"
    assert [p for p in before if p.endswith(".json") and "picamsync-camera" in p], before
    assert any(p.startswith("/var/lib/picamsync-web/") for p in before), before
    reports_before = http(box, "GET", "http://127.0.0.1/api/reports")[1]
    assert "boot test" in reports_before

    for how in ("kill -9", "systemctl restart"):
        for s in SERVICES:
            old = main_pid(box, s)
            if how == "kill -9":
                box.run(["kill", "-9", str(old)])
                # clockd and camerad come back by Restart=on-failure or by the next bus call.
                box.run(["busctl", "--system", "call", "org.picamsync.Clock1",
                         "/org/picamsync/Clock1", "org.freedesktop.DBus.Peer", "Ping"],
                        check=False)
            else:
                box.run(["systemctl", "restart", s])
            new = wait_for(f"{s} after {how}",
                           lambda: active(box, s) == "active" and main_pid(box, s) not in
                           (0, old) and main_pid(box, s), 30)
            assert new != old
        after = state_files(box)
        for path, digest in before.items():
            assert path in after, f"{path} is gone after {how}"
            # The reports and the TLS key stay as they were; the history may have grown.
            if path.endswith(".json") or "/tls/" in path:
                assert after[path] == digest, f"{path} changed after {how}"
        assert system_state(box) == ("running", "")
    status, body = http(box, "GET", "http://127.0.0.1/api/reports")
    assert status == 200 and "boot test" in body


def test_step_without_the_fake_clock_fails_in_words(box):
    box.run(["rm", "/etc/systemd/system/picamsync-clockd.service.d/fakeclock.conf"])
    box.run(["systemctl", "daemon-reload"])
    box.run(["systemctl", "restart", "picamsync-clockd"])
    try:
        wall_minus_mono = time.time() - time.monotonic()
        r = box.run(["busctl", "--system", "call", "org.picamsync.Clock1",
                     "/org/picamsync/Clock1", "org.picamsync.Clock1", "StepTime", "xs",
                     "1500000", "manual"], check=False)
        assert r.returncode != 0
        assert "CAP_SYS_TIME" in r.stderr and "the clock was not changed" in r.stderr, r.stderr
        assert abs((time.time() - time.monotonic()) - wall_minus_mono) < 0.5
    finally:
        box.write("/etc/systemd/system/picamsync-clockd.service.d/fakeclock.conf",
                  dropin("picamsync-clockd"))
        box.run(["systemctl", "daemon-reload"])
        box.run(["systemctl", "restart", "picamsync-clockd"])


# ---- reinstall, remove, purge ----

def test_reinstall_keeps_state_and_the_edited_conffile(box):
    before = state_files(box)
    r = box.run(["dpkg", "-i", f"{STAGE}/picamsync.deb"], check=False, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    conf = box.run(["cat", "/etc/picamsync/picamsync.conf"]).stdout
    assert f"PICAMSYNC_CAMERA_URLS={CAMERA_URL}" in conf
    after = state_files(box)
    assert set(before) <= set(after), set(before) - set(after)
    assert system_state(box) == ("running", "")
    # The upgrade restarted what ran: camerad answers again shortly.
    wait_for("the reports after the reinstall",
             lambda: "boot test" in http(box, "GET", "http://127.0.0.1/api/reports")[1], 30)


def test_remove_stops_sockets_and_services(box):
    r = box.run(["dpkg", "-r", "picamsync"], check=False, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    for unit in SOCKETS + [s + ".service" for s in SERVICES]:
        assert active(box, unit) in ("inactive", "failed") and active(box, unit) != "active", unit
    listening = box.run(["cat", "/proc/net/tcp6"]).stdout
    assert not re.search(r"^\s*\d+: 0+:(0050|01BB) 0+:0000 0A ", listening, re.M), listening
    assert box.run(["test", "-e", "/etc/picamsync/picamsync.conf"], check=False).returncode == 0
    assert box.run(["test", "-d", "/var/lib/picamsync-camera"], check=False).returncode == 0


def test_purge_removes_config_and_state(box):
    r = box.run(["dpkg", "--purge", "picamsync"], check=False, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    for path in ("/etc/picamsync", "/var/lib/picamsync-camera", "/var/lib/picamsync-web"):
        assert box.run(["test", "-e", path], check=False).returncode != 0, f"{path} is left"
    assert system_state(box)[1] == ""


def test_lintian_reports_no_error(pkg):
    assert not re.search(r"^E: ", pkg["lintian"], re.M), pkg["lintian"]


def test_lintian_says_nothing_about_the_manual_pages(pkg):
    about_man = [line for line in pkg["lintian"].splitlines()
                 if re.search(r"manual-page|manpage|usr/share/man/", line)]
    assert about_man == [], "\n".join(about_man)


def test_package_builds_without_a_compiler_warning(pkg):
    # Debian's flags (-O2, hardening=+all) are not those of tools/check's builds.
    warnings = [line for line in pkg["log"].splitlines() if "warning:" in line]
    assert warnings == [], "\n".join(warnings)

# SPDX-License-Identifier: LGPL-2.1-or-later
"""The simulated Pi: a private system bus with the project's own policy files, the fake Pi
clock, and the daemons started from the build directory without CAP_SYS_TIME.

Used by tools/testbed, tools/demo, tools/bench and the pytest fixtures. Two rules hold for
everything started here (docs/testing.md): the host clock is never set (daemons run
under libfakeclock and without CAP_SYS_TIME in their bounding set), and nothing listens or
sends beyond loopback or namespaces made here.
"""

import ctypes
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Every daemon a test starts runs like this, so a call the fake clock missed fails with EPERM
# instead of moving this machine's clock.
NO_SYS_TIME = ["setpriv", "--bounding-set=-sys_time", "--inh-caps=-sys_time", "--"]

# dbus-daemon words that mean our policy files are wrong (unknown user, parse error, ...).
POLICY_PROBLEM = re.compile(
    r"Unknown (username|group|user)|Failed to|[Ee]rror|[Ww]arning|not allowed|Encountered"
)
# ... except this one: a bus started as root without CAP_SYS_RESOURCE (this container) cannot
# raise its fd limit. It is about the machine, not the policy.
MACHINE_NOISE = re.compile(r"Failed to set fd limit")

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- A private system bus for one simulated Pi: the defaults of Debian's system.conf, then the
     project's own policy files, exactly as they are installed. -->
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus" />
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.DBus.Debug.Stats"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.systemd1.Activator"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <!-- As in Debian's system.conf: root may read the bus's statistics (the soak of tools/bench
       reads each daemon's match rules with Debug.Stats.GetConnectionStats). -->
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>
  <includedir>{policy_dir}</includedir>
</busconfig>
"""


class HarnessError(RuntimeError):
    pass


def default_builddir():
    return os.environ.get("PICAMSYNC_BUILDDIR") or os.path.join(SRCDIR, "build")


def wait_until(predicate, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def create_system_users():
    """The policy files name the users picamsync-web and picamsync-camera and the group
    picamsync: create them as the package would (systemd-sysusers with the project's own
    sysusers.d entry)."""
    conf = os.path.join(SRCDIR, "units", "sysusers.d", "picamsync.conf")
    subprocess.run(["systemd-sysusers", conf], check=True, capture_output=True)


class FakeClock:
    """The shared Pi clock (libfakeclock state file) and its command-line tool."""

    def __init__(self, builddir, path, offset_ms=0, ppm=0.0, ntp_synced=False):
        self.tool = os.path.join(builddir, "tests", "harness", "fakeclock", "fakeclock")
        self.library = os.path.join(builddir, "tests", "harness", "fakeclock", "libfakeclock.so")
        self.path = path
        for f in (self.tool, self.library):
            if not os.path.exists(f):
                raise HarnessError(f"{f} is missing; build the project first (meson compile)")
        self._run("init", "--offset-ms", str(int(offset_ms)), "--ppm", str(ppm),
                  "--ntp-synced", "1" if ntp_synced else "0")

    def _run(self, *args):
        cmd = [self.tool, args[0], self.path, *args[1:]]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        return out.stdout

    def offset_ns(self):
        return int(self._run("get").strip())

    def set(self, offset_ms=None, ppm=None, ntp_synced=None, esterror_us=None,
            maxerror_us=None):
        """esterror_us/maxerror_us: what adjtimex() reports while synchronized (or "default")."""
        args = []
        if esterror_us is not None:
            args += ["--esterror-us", str(esterror_us)]
        if maxerror_us is not None:
            args += ["--maxerror-us", str(maxerror_us)]
        if offset_ms is not None:
            args += ["--offset-ms", str(int(offset_ms))]
        if ppm is not None:
            args += ["--ppm", str(ppm)]
        if ntp_synced is not None:
            args += ["--ntp-synced", "1" if ntp_synced else "0"]
        self._run("set", *args)


class PrivateBus:
    """dbus-daemon with the project's real policy files; fails on any policy complaint."""

    def __init__(self, workdir, policy_dir=None):
        self.policy_dir = policy_dir or os.path.join(SRCDIR, "dbus-policy")
        self.socket = os.path.join(workdir, "system_bus_socket")
        self.config = os.path.join(workdir, "bus.conf")
        self.log_path = os.path.join(workdir, "dbus-daemon.log")
        with open(self.config, "w") as f:
            f.write(BUS_CONFIG.format(socket=self.socket, policy_dir=self.policy_dir))
        self.address = f"unix:path={self.socket}"
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={self.config}", "--nofork", "--nopidfile",
             "--nosyslog"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until(lambda: os.path.exists(self.socket) or self.proc.poll() is not None,
                       10, "the private bus")
            if self.proc.poll() is not None:
                raise HarnessError(f"dbus-daemon did not start: {self.log()}")
            self.check_policy()
        except Exception:
            self.stop()
            raise

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def check_policy(self):
        problems = [line for line in self.log().splitlines()
                    if POLICY_PROBLEM.search(line) and not MACHINE_NOISE.search(line)]
        if problems:
            raise HarnessError("the bus policy files are not clean: " + "; ".join(problems))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


CAP_SYS_TIME = 25

# Every daemon's, in sanitized builds: libfakeclock is preloaded ahead of the ASan runtime.
ASAN_OPTIONS = ("verify_asan_link_order=0:detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0:"
                "fast_unwind_on_malloc=0")
# ... and a daemon's whose memory a test reads: ASan holds freed memory back (its quarantine,
# up to 256 MiB) and returns little to the system, so RSS would say nothing about the daemon.
ASAN_OPTIONS_RSS = ASAN_OPTIONS + ":quarantine_size_mb=1:allocator_release_to_os_interval_ms=500"


def check_no_sys_time(pid):
    """Rule 1 of docs/testing.md, checked rather than assumed: the process cannot get
    CAP_SYS_TIME."""
    with open(f"/proc/{pid}/status") as f:
        caps = dict(line.split(":", 1) for line in f if line.startswith("Cap"))
    for name in ("CapBnd", "CapEff", "CapPrm"):
        if int(caps[name], 16) & (1 << CAP_SYS_TIME):
            raise HarnessError(f"process {pid} has CAP_SYS_TIME in {name}; refusing to go on")


def mapped_libraries(pid):
    """The shared libraries a process has mapped now, by name without ".so…" ("libgnutls"):
    what a daemon loads only when a path needs it (docs/architecture.md, "Memory")."""
    with open(f"/proc/{pid}/maps") as f:
        paths = [line.split()[5] for line in f if len(line.split()) > 5]
    return {os.path.basename(p).split(".so")[0] for p in paths if ".so" in os.path.basename(p)}

class Daemon:
    """One daemon of the suite, started the way the testing rules demand."""

    def __init__(self, name, argv, env, log_path, netns=None):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "w+")
        prefix = ["ip", "netns", "exec", netns] if netns else []
        self.proc = subprocess.Popen(prefix + NO_SYS_TIME + argv, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def bus_name_has_owner(address, name):
    out = subprocess.run(
        ["busctl", f"--address={address}", "call", "org.freedesktop.DBus",
         "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", name],
        capture_output=True, text=True)
    return out.returncode == 0 and out.stdout.strip() == "b true"


def ip(*args):
    r = subprocess.run(["ip", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise HarnessError(f"ip {' '.join(args)}: {r.stderr.strip()}")


class Network:
    """The Pi's networks as namespaces with no uplink (docs/testing.md, rule 2): namespace pi
    with a bridge ap0 (the access point) and an interface wlan0 (the LAN); phone and camera on
    ap0, laptop on wlan0. Names carry a random prefix so that test runs do not collide."""

    AP_NET, LAN_NET = "192.168.4", "10.77.0"
    CLONE_NEWNET = 0x40000000

    def __init__(self):
        tag = os.urandom(3).hex()
        self.ns = {role: f"psync-{tag}-{role}" for role in ("pi", "phone", "laptop", "camera")}
        self.addresses = {"pi": {"ap0": f"{self.AP_NET}.1", "wlan0": f"{self.LAN_NET}.1"},
                          "phone": f"{self.AP_NET}.20", "camera": f"{self.AP_NET}.7",
                          "laptop": f"{self.LAN_NET}.20"}
        self.created = []
        self.webd_urls = None
        try:
            self._build()
        except Exception:
            self.stop()
            raise

    def _build(self):
        pi = self.ns["pi"]
        for name in self.ns.values():
            ip("netns", "add", name)
            self.created.append(name)
            ip("-n", name, "link", "set", "lo", "up")
        ip("-n", pi, "link", "add", "ap0", "type", "bridge")
        ip("-n", pi, "addr", "add", f"{self.addresses['pi']['ap0']}/24", "dev", "ap0")
        ip("-n", pi, "link", "set", "ap0", "up")
        for role, veth in (("phone", "vphone"), ("camera", "vcamera")):
            ip("-n", pi, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns",
               self.ns[role])
            ip("-n", pi, "link", "set", veth, "master", "ap0", "up")
            ip("-n", self.ns[role], "addr", "add", f"{self.addresses[role]}/24", "dev", "eth0")
            ip("-n", self.ns[role], "link", "set", "eth0", "up")
            ip("-n", self.ns[role], "route", "add", "224.0.0.0/4", "dev", "eth0")
        ip("-n", pi, "link", "add", "wlan0", "type", "veth", "peer", "name", "eth0", "netns",
           self.ns["laptop"])
        ip("-n", pi, "addr", "add", f"{self.addresses['pi']['wlan0']}/24", "dev", "wlan0")
        ip("-n", pi, "link", "set", "wlan0", "up")
        ip("-n", self.ns["laptop"], "addr", "add", f"{self.addresses['laptop']}/24", "dev",
           "eth0")
        ip("-n", self.ns["laptop"], "link", "set", "eth0", "up")
        # SSDP's multicast leaves the Pi through the access point only.
        ip("-n", pi, "route", "add", "224.0.0.0/4", "dev", "ap0")
        # webd's sockets are bound by systemd-socket-activate as picamsync-web (systemd binds
        # them as root): let anyone bind ports 80 and 443 in this namespace alone.
        subprocess.run(["ip", "netns", "exec", pi, "sh", "-c",
                        "echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start"], check=True)

    def call_in(self, role, fn, *args, **kwargs):
        """fn(*args, **kwargs) run in a thread that joined role's network namespace: sockets it
        makes (a client's connection) live in that namespace and keep working from any thread.
        Returns what fn returns, raises what it raises."""
        out = {}

        def run():
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(os.path.join("/run/netns", self.ns[role]), os.O_RDONLY)
                try:
                    if libc.setns(fd, self.CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns into {self.ns[role]}: {os.strerror(err)}")
                finally:
                    os.close(fd)
                out["value"] = fn(*args, **kwargs)
            except BaseException as e:  # handed to the caller
                out["error"] = e

        t = threading.Thread(target=run, name=f"netns-{role}")
        t.start()
        t.join()
        if "error" in out:
            raise out["error"]
        return out.get("value")

    def connect(self, role, host, port, timeout=10):
        """A TCP connection from role's namespace."""
        return self.call_in(role, socket.create_connection, (host, port), timeout)

    def describe(self):
        return {"namespaces": dict(self.ns), "addresses": self.addresses,
                "webd": self.webd_urls}

    def stop(self):
        for name in self.created:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.created = []


class Testbed:
    """One complete simulated installation: the private bus, the fake clock, and on request
    clockd, camera simulators, camerad and webd (start() starts them all)."""

    def __init__(self, builddir=None, pi_offset_ms=0, ppm=0.0, ntp_synced=False, env=None,
                 zone="UTC", fake_clock=True, workdir=None, policy_dir=None, netns=False):
        self.builddir = os.path.abspath(builddir or default_builddir())
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="picamsync-testbed-")
        # Clients run as other users (policy tests) must reach the bus socket inside.
        os.chmod(self.workdir, 0o755)
        self.final_logs = {}
        self.sims = []
        self.extra_env = dict(env or {})
        self.daemons = {}
        self.bus = None
        self.fakeclock = None
        self.network = None
        try:
            create_system_users()
            if netns:
                self.network = Network()
            if fake_clock:
                self.fakeclock = FakeClock(self.builddir, os.path.join(self.workdir, "clock"),
                                           pi_offset_ms, ppm, ntp_synced)
            self.localtime = os.path.join(self.workdir, "etc", "localtime")
            os.makedirs(os.path.dirname(self.localtime))
            os.symlink(os.path.join(self.zoneinfo_dir(), zone), self.localtime)
            self.bus = PrivateBus(self.workdir, policy_dir)
        except Exception:
            self.stop()
            raise

    def restart_bus(self, before_start=None):
        """Stops the private bus (SIGTERM, as systemctl stop would) and starts a new one on the
        same socket with the same policy. before_start() is called while there is no bus."""
        self.bus.stop()
        if before_start:
            before_start()
        if os.path.exists(self.bus.socket):
            os.unlink(self.bus.socket)
        self.bus = PrivateBus(self.workdir, self.bus.policy_dir)

    def zoneinfo_dir(self):
        return self.extra_env.get("PICAMSYNC_ZONEINFO_DIR", "/usr/share/zoneinfo")

    def daemon_env(self, extra=None):
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "DBUS_SYSTEM_BUS_ADDRESS": self.bus.address,
            "PICAMSYNC_LOG_TARGET": "stderr",
            "PICAMSYNC_LOCALTIME": self.localtime,
            "PICAMSYNC_ZONEINFO_DIR": self.zoneinfo_dir(),
            "ASAN_OPTIONS": ASAN_OPTIONS,
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
            "LANG": "C.UTF-8",
        }
        if self.fakeclock:
            env["LD_PRELOAD"] = self.fakeclock.library
            env["FAKECLOCK_STATE"] = self.fakeclock.path
        env.update(self.extra_env)
        env.update(extra or {})
        return env

    def start_clockd(self, env=None, wait=True):
        exe = os.path.join(self.builddir, "clockd", "picamsync-clockd")
        if not os.path.exists(exe):
            raise HarnessError(f"{exe} is missing; build the project first")
        d = Daemon("clockd", [exe], self.daemon_env(env),
                   os.path.join(self.workdir, "clockd.log"), self.netns("pi"))
        self.daemons["clockd"] = d
        if wait:
            wait_until(lambda: not d.alive() or bus_name_has_owner(self.bus.address,
                                                                   "org.picamsync.Clock1"),
                       15, "clockd to take org.picamsync.Clock1")
            if not d.alive():
                raise HarnessError(f"clockd exited at start: {d.log()}")
            check_no_sys_time(d.proc.pid)
        return d

    def netns(self, role):
        return self.network.ns[role] if self.network else None

    def run_as(self, user):
        """setpriv prefix for a daemon that runs as its own system user (camerad, webd)."""
        pw = pwd.getpwnam(user)
        return ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups"]

    def start_sim(self, offset_ms=0, latency_ms=0, jitter_ms=0, args=(), https=False):
        """A camera simulator on loopback; returns its description (camera/sim URLs)."""
        exe = os.path.join(self.builddir, "tools", "ccapi-sim", "ccapi-sim")
        if not os.path.exists(exe):
            raise HarnessError(f"{exe} is missing; build the project first")
        n = len(self.sims)
        log_path = os.path.join(self.workdir, f"ccapi-sim-{n}.log")
        log = open(log_path, "w+")
        if self.network:
            # The camera in its own namespace on the access point, announced by SSDP.
            where = ["ip", "netns", "exec", self.netns("camera"), exe, "--bind",
                     self.network.addresses["camera"], "--port", "8080", "--desc-port", "49152",
                     "--ssdp-interface", "eth0"]
        else:
            where = [exe, "--bind", "127.0.0.1", "--port", "0", "--desc-port", "0", "--no-ssdp"]
        env = dict(os.environ)
        if https:
            where += ["--https-port", "443" if self.network else "0"]
            # LeakSanitizer trips over the TLS handshake thread at exit (not a leak of ours);
            # the simulator is a test tool, so leak checking is off for it alone.
            env["ASAN_OPTIONS"] = "detect_leaks=0"
        proc = subprocess.Popen(
            where + ["--print-json", "--offset-ms", str(offset_ms), "--latency-ms",
                     str(latency_ms), "--jitter-ms", str(jitter_ms), "--serial", f"SIM{n:08d}",
                     *args],
            stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True, env=env)
        line = proc.stdout.readline()
        if not line:
            proc.wait(5)
            raise HarnessError(f"ccapi-sim did not start: {open(log_path).read()}")
        info = json.loads(line)
        info.update(proc=proc, log=log, log_path=log_path)
        self.sims.append(info)
        return info

    def start_camerad(self, env=None, wait=True, state_tmpfs=None):
        """state_tmpfs: mount options of a tmpfs put over camerad's state directory in a private
        mount namespace of its own ("size=512k", "size=512k,ro"), holding a copy of what the
        directory held; nothing outside that namespace sees it. Read and write it through
        camerad_state_path(), change it with remount_camerad_state()."""
        exe = os.path.join(self.builddir, "camerad", "picamsync-camerad")
        if not os.path.exists(exe):
            raise HarnessError(f"{exe} is missing; build the project first")
        state = os.path.join(self.workdir, "camerad-state")
        os.makedirs(state, exist_ok=True)
        pw = pwd.getpwnam("picamsync-camera")
        os.chown(state, pw.pw_uid, pw.pw_gid)
        mount = []
        if state_tmpfs is not None:
            # The shell keeps the covered directory as its working directory, to copy it in;
            # the tmpfs is made read-only, if asked, after the copy.
            ro = ",".join(o for o in state_tmpfs.split(",") if o == "ro")
            opts = ",".join(o for o in state_tmpfs.split(",") if o != "ro")
            script = ('cd "$1" && mount -t tmpfs -o "$2" picamsync-state "$1" && cp -a . "$1"/ '
                      '&& cd / && { [ -z "$3" ] || mount -o remount,ro "$1"; } && shift 3 && '
                      'exec "$@"')
            mount = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                     state, f"{opts},mode=0700,uid={pw.pw_uid},gid={pw.pw_gid}", ro]
        base = {"PICAMSYNC_STATE_DIR": state}
        if not self.network:
            base["PICAMSYNC_DISCOVERY"] = "0"  # no multicast on the host's own interfaces
        base.update(env or {})
        if self.network:
            base.setdefault("PICAMSYNC_DISCOVERY", "1")
            base.setdefault("PICAMSYNC_DISCOVERY_INTERFACES", "ap0")
        d = Daemon("camerad", mount + self.run_as("picamsync-camera") + [exe],
                   self.daemon_env(base),
                   os.path.join(self.workdir, "camerad.log"), self.netns("pi"))
        self.daemons["camerad"] = d
        if wait:
            wait_until(lambda: not d.alive() or bus_name_has_owner(self.bus.address,
                                                                   "org.picamsync.Camera1"),
                       15, "camerad to take org.picamsync.Camera1")
            if not d.alive():
                raise HarnessError(f"camerad exited at start: {d.log()}")
            check_no_sys_time(d.proc.pid)
        return d

    def camerad_state_path(self, *parts):
        """A path in camerad's state directory as camerad sees it (its own mount namespace when
        started with state_tmpfs)."""
        pid = self.daemons["camerad"].proc.pid
        return os.path.join(f"/proc/{pid}/root", self.workdir.lstrip("/"), "camerad-state",
                            *parts)

    def remount_camerad_state(self, options):
        """Remounts the tmpfs of start_camerad(state_tmpfs=…) with options ("ro", "rw"), inside
        camerad's mount namespace: it must be that tmpfs, never a real file system."""
        pid = self.daemons["camerad"].proc.pid
        state = os.path.join(self.workdir, "camerad-state")
        ns = ["nsenter", f"--target={pid}", "--mount", "--"]
        fs = subprocess.run(ns + ["findmnt", "-n", "-o", "FSTYPE,SOURCE", "--mountpoint", state],
                            capture_output=True, text=True, check=True).stdout.split()
        if fs != ["tmpfs", "picamsync-state"]:
            raise HarnessError(f"{state} in camerad's namespace is {fs}, not the test's tmpfs")
        subprocess.run(ns + ["mount", "-o", f"remount,{options}", state], check=True)

    def start_webd(self, env=None, wait=True, port=None, https_port=None, nofile=None):
        """webd as systemd starts it: through systemd-socket-activate with sockets named "http"
        and "https" on loopback (free ports unless given), as picamsync-web, under the fake
        clock, with PICAMSYNC_AP_INTERFACES=lo so that a local client is an access-point client.
        nofile: its limit of open file descriptors (as LimitNOFILE= would set it).
        Sets self.http_url, self.ws_url, self.https_port, self.https_url and self.wss_url."""
        exe = os.path.join(self.builddir, "webd", "picamsync-webd")
        if not os.path.exists(exe):
            raise HarnessError(f"{exe} is missing; build the project first")
        # Under --netns: in the Pi's namespace, on every address (ap0 and wlan0), on the real
        # ports, with ap0 as the access point.
        bind = "0.0.0.0" if self.network else "127.0.0.1"
        if self.network:
            port, https_port = port or 80, https_port or 443
        if port is None:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        while https_port is None or https_port == port:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                https_port = s.getsockname()[1]
        state = os.path.join(self.workdir, "webd-state")
        os.makedirs(state, exist_ok=True)
        pw = pwd.getpwnam("picamsync-web")
        os.chown(state, pw.pw_uid, pw.pw_gid)
        base = {"PICAMSYNC_STATE_DIR": state,
                "PICAMSYNC_AP_INTERFACES": "ap0" if self.network else "lo",
                # As picamsync-webd.service sets it.
                "G_SLICE": "always-malloc"}
        base.update(env or {})
        denv = self.daemon_env(base)
        # systemd-socket-activate hands the child only what -E names.
        setenv = [f"--setenv={k}={v}" for k, v in denv.items()]
        limit = ["prlimit", f"--nofile={nofile}", "--"] if nofile else []
        argv = self.run_as("picamsync-web") + limit + [
            "systemd-socket-activate", "-l", f"{bind}:{port}", "-l",
            f"{bind}:{https_port}", "--fdname=http:https", *setenv, exe]
        d = Daemon("webd", argv, denv, os.path.join(self.workdir, "webd.log"), self.netns("pi"))
        self.daemons["webd"] = d
        self.http_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws"
        self.https_port = https_port
        self.https_url = f"https://127.0.0.1:{https_port}"
        self.wss_url = f"wss://127.0.0.1:{https_port}/ws"
        if self.network:
            self._netns_webd_urls(port, https_port)
        if wait:
            def listening():
                if not d.alive():
                    return True
                try:
                    # systemd-socket-activate starts webd on the first connection.
                    with self._connect_webd(port):
                        return True
                except OSError:
                    return False
            wait_until(listening, 15, "webd's socket")
            wait_until(lambda: not d.alive() or bus_name_has_owner(self.bus.address,
                                                                   "org.picamsync.Sync1"),
                       15, "webd to take org.picamsync.Sync1")
            if not d.alive():
                raise HarnessError(f"webd exited at start: {d.log()}")
            check_no_sys_time(d.proc.pid)
        return d

    def _netns_webd_urls(self, port, https_port):
        """URLs per network (the phone's view on ap0 is the default one)."""
        urls = {}
        for net, iface in (("ap", "ap0"), ("lan", "wlan0")):
            a = self.network.addresses["pi"][iface]
            urls[net] = {"http": f"http://{a}:{port}", "ws": f"ws://{a}:{port}/ws",
                         "https": f"https://{a}:{https_port}", "wss": f"wss://{a}:{https_port}/ws"}
        self.network.webd_urls = urls
        self.http_url, self.ws_url = urls["ap"]["http"], urls["ap"]["ws"]
        self.https_url, self.wss_url = urls["ap"]["https"], urls["ap"]["wss"]

    def _connect_webd(self, port):
        if self.network:
            return self.network.connect("pi", self.network.addresses["pi"]["ap0"], port, 1)
        return socket.create_connection(("127.0.0.1", port), timeout=1)

    def start(self, camera=True, camera_offset_ms=4000, camera_latency_ms=0, web=True,
              port=None):
        self.start_clockd()
        env = {}
        if camera:
            sim = self.start_sim(offset_ms=camera_offset_ms, latency_ms=camera_latency_ms)
            if not self.network:
                env["PICAMSYNC_CAMERA_URLS"] = sim["camera"]
        self.start_camerad(env)
        if web:
            self.start_webd(port=port)
        return self

    def describe(self):
        return {
            "bus": self.bus.address,
            "http": getattr(self, "http_url", None),
            "ws": getattr(self, "ws_url", None),
            "https": getattr(self, "https_url", None),
            "fakeclock": self.fakeclock.path if self.fakeclock else None,
            "camera": self.sims[0]["camera"] if self.sims else None,
            "sim": self.sims[0]["sim"] if self.sims else None,
            "netns": self.network.describe() if self.network else None,
            "workdir": self.workdir,
            "localtime": self.localtime,
            "logs": {name: d.log_path for name, d in self.daemons.items()},
        }

    def json_line(self):
        return json.dumps(self.describe())

    def stop(self):
        codes = {}
        for name, d in list(self.daemons.items()):
            codes[name] = d.stop()
            self.final_logs[name] = d.log()
        for sim in self.sims:
            if sim["proc"].poll() is None:
                sim["proc"].terminate()
                try:
                    sim["proc"].wait(5)
                except subprocess.TimeoutExpired:
                    sim["proc"].kill()
                    sim["proc"].wait()
            sim["proc"].stdout.close()
            sim["log"].close()
        if self.bus:
            self.bus.stop()
        if self.network:
            self.network.stop()
        if self.own_workdir and not os.environ.get("PICAMSYNC_KEEP_TESTBED"):
            shutil.rmtree(self.workdir, ignore_errors=True)
        return codes

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

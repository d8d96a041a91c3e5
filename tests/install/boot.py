# SPDX-License-Identifier: LGPL-2.1-or-later
"""A Debian 12 system booted under its own systemd, for the install suite.

make_root() makes a Debian 12 root with debootstrap once (the runtime dependencies of the
package installed in the same step) and keeps it in a cache outside the source tree;
Container boots it with systemd-nspawn -b on a throw-away overlay, in a network namespace
of its own (nothing it does reaches a network) and without CAP_SYS_TIME (it shares this
machine's clock); commands run inside with nsenter."""

import ctypes
import fcntl
import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time

# What the package needs at run time (its Depends: the libraries, dbus, systemd,
# glib-networking, tzdata), installed before the package so that "dpkg -i" needs no
# network; python3 runs the pages (tests/harness/testbed_clients.py) inside.
ROOT_PACKAGES = [
    "systemd-sysv", "dbus", "libglib2.0-0", "libsoup-3.0-0", "libjson-glib-1.0-0", "libxml2",
    "libgssdp-1.6-0", "libnm0", "libgnutls30", "libsystemd0", "glib-networking", "tzdata",
    "python3", "iw",
]
SUITE = "bookworm"
CACHE = os.environ.get("PICAMSYNC_ROOT_CACHE", "/var/cache/picamsync-test")
PR_SET_PDEATHSIG = 1
NSPAWN = ["systemd-nspawn", "--quiet", "--register=no", "--keep-unit"]


# The fake Pi clock for the daemons of a booted system (the container shares this machine's
# clock and has no CAP_SYS_TIME): libfakeclock and its state, bound into the container at
# these paths; clockd writes the state, the others read it.
STAGE = "/srv/picamsync-test"
CLOCKDIR = "/var/lib/picamsync-fakeclock"
FAKECLOCK_DROPIN = f"""[Service]
# The fake Pi clock of picamsync's boot test (tests/install/boot.py).
Environment=LD_PRELOAD={STAGE}/libfakeclock.so FAKECLOCK_STATE={CLOCKDIR}/clock
"""
CLOCKD_DROPIN = FAKECLOCK_DROPIN + f"ReadWritePaths={CLOCKDIR}\n"
SERVICES = ["picamsync-clockd", "picamsync-camerad", "picamsync-webd"]


def fakeclock_dropin(service):
    """The drop-in that puts service under the fake clock."""
    return CLOCKD_DROPIN if service == "picamsync-clockd" else FAKECLOCK_DROPIN


class BootError(Exception):
    pass


def apt_mirror():
    """The Debian mirror this machine's apt uses (no other download is made)."""
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        text = open(path).read()
        for stanza in text.split("\n\n"):
            if re.search(rf"^Suites:.*\b{SUITE}\b", stanza, re.M) and \
                    re.search(r"^Types:.*\bdeb\b", stanza, re.M):
                m = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
                if m and "security" not in m.group(1):
                    return m.group(1)
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if os.path.exists(path):
            for line in open(path):
                m = re.match(rf"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", line)
                if m:
                    return m.group(1)
    return "http://deb.debian.org/debian"


def _run(cmd, log, **kw):
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    r = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, **kw)
    if r.returncode != 0:
        raise BootError(f"{cmd[0]} failed ({r.returncode}); see {log.name}")


def make_root():
    """The path of the cached root (made now if missing): one per package list and
    architecture, made under a lock and renamed into place only when complete."""
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()
    key = hashlib.sha256(" ".join([SUITE, arch, *ROOT_PACKAGES]).encode()).hexdigest()[:12]
    root = os.path.join(CACHE, f"{SUITE}-{arch}-{key}")
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(root, ".picamsync-root-ready")):
            return root
        tmp = root + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        with open(root + ".log", "w") as log:
            # debootstrap's own ordering fails on some of these packages' configuration
            # (dconf-service): the base system first, then apt inside it.
            _run(["debootstrap", "--variant=minbase", "--include=systemd-sysv,dbus", SUITE, tmp,
                  apt_mirror()], log)
            _run(NSPAWN + ["-D", tmp, "--pipe", "-E", "DEBIAN_FRONTEND=noninteractive", "sh",
                           "-c", "apt-get update -qq && apt-get install -y -qq "
                           "--no-install-recommends " + " ".join(ROOT_PACKAGES) +
                           " && apt-get clean && rm -rf /var/lib/apt/lists/*"],
                 log, stdin=subprocess.DEVNULL)
        open(os.path.join(tmp, ".picamsync-root-ready"), "w").close()
        os.rename(tmp, root)
        return root


def _term_with_parent():
    """In the child before exec: SIGTERM (a clean shutdown, to nspawn) when the test process
    dies, so that no container outlives a killed test run."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Container:
    """One boot of root: binds is a list of nspawn --bind/--bind-ro arguments."""

    def __init__(self, root, workdir, binds=()):
        self.log_path = os.path.join(workdir, "nspawn.log")
        self._log = open(self.log_path, "w")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            NSPAWN + ["-D", root, "--volatile=overlay", "--private-network",
                      "--drop-capability=CAP_SYS_TIME", "--console=pipe", *binds, "--boot"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_term_with_parent)
        try:
            self.pid = self._find_init(30)
            state = self.wait_running(120)
            self.boot_seconds = time.monotonic() - t0
            self.boot_state = state
        except BaseException:
            self.shutdown()
            raise

    def wait_running(self, timeout):
        """systemd's state once it has finished starting up (running, degraded, ...); until
        its bus is up, systemctl answers nothing."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.run(["systemctl", "is-system-running", "--wait"], check=False,
                             timeout=timeout).stdout.strip()
            if state not in ("", "offline", "initializing", "starting") or \
                    time.monotonic() > deadline:
                return state
            time.sleep(0.05)

    def _find_init(self, timeout):
        """The host PID of the container's PID 1 (a child of nspawn)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BootError(f"systemd-nspawn exited ({self.proc.returncode}): "
                                f"{open(self.log_path).read()[-2000:]}")
            for task in glob.glob(f"/proc/{self.proc.pid}/task/*/children"):
                for child in open(task).read().split():
                    try:
                        status = open(f"/proc/{child}/status").read()
                    except OSError:
                        continue
                    m = re.search(r"^NSpid:\s+(.*)$", status, re.M)
                    if m and m.group(1).split()[-1] == "1" and \
                            os.path.exists(f"/proc/{child}/root/run/systemd/system"):
                        return int(child)
            time.sleep(0.05)
        raise BootError("the container's systemd did not start")

    def run(self, cmd, check=True, timeout=60, input=None):
        """cmd inside the container (all its namespaces), as its root."""
        r = subprocess.run(["nsenter", "-t", str(self.pid), "-a", "--", *cmd],
                           capture_output=True, text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise BootError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stdout}{r.stderr}")
        return r

    def sh(self, script, check=True, timeout=60):
        return self.run(["sh", "-c", script], check=check, timeout=timeout)

    def write(self, path, text):
        self.run(["mkdir", "-p", os.path.dirname(path)])
        self.run(["sh", "-c", f"cat > '{path}'"], input=text)

    def shutdown(self):
        """Powers the container off (nspawn turns SIGTERM into a clean shutdown); kills it if
        that takes longer than 30 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()

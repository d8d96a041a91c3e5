# SPDX-License-Identifier: LGPL-2.1-or-later
"""picamsync-webd over HTTPS (docs/web-protocol.md): the "https" socket passed by systemd, the
self-signed certificate made at first start and kept in the state directory, its renewal
when it is unusable or expired, the TLS libraries loaded only at the first HTTPS connection,
the WebSocket over TLS, and the Origin check for https pages."""

import hashlib
import json
import os
import pwd
import socket
import ssl
import stat
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

import picamsync_testbed as harness
from testbed_clients import WsClient, page_scripts

# LeakSanitizer's tracer crashes on glib-networking's TLS handshake thread at exit (as for
# camerad and ccapi-sim over HTTPS); ASan itself stays on.
NO_LSAN = {"ASAN_OPTIONS": "verify_asan_link_order=0:detect_leaks=0:abort_on_error=1"}
TEN_YEARS_MS = 3650 * 24 * 3600 * 1000


def no_verify():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def https(bed, method, path, body=None, headers=None, context=None):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(bed.https_url + path, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30, context=context or no_verify()) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def served_cert(bed):
    """The DER certificate webd presents."""
    with socket.create_connection(("127.0.0.1", bed.https_port), timeout=10) as raw:
        with no_verify().wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def tls_dir(bed):
    return os.path.join(bed.workdir, "webd-state", "tls")


def kept_cert(bed):
    with open(os.path.join(tls_dir(bed), "cert.pem")) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def openssl_text(der, tmp_path):
    path = tmp_path / "served.pem"
    path.write_text(ssl.DER_cert_to_PEM_cert(der))
    return subprocess.run(["openssl", "x509", "-in", str(path), "-noout", "-subject", "-issuer",
                           "-ext", "subjectAltName,basicConstraints", "-startdate", "-enddate"],
                          check=True, capture_output=True, text=True).stdout


def wss(bed, origin=None):
    """A WebSocket over TLS (not verified)."""
    raw = socket.create_connection(("127.0.0.1", bed.https_port), timeout=10)
    sock = no_verify().wrap_socket(raw, server_hostname="localhost")
    return WsClient(bed.wss_url, origin=origin, sock=sock)


def restart_webd(bed, env=None):
    """Stops webd (it must exit cleanly) and starts it again on the same state directory."""
    code = bed.daemons["webd"].stop()
    assert code == 0, bed.daemons["webd"].log()
    bed.start_webd(dict(NO_LSAN, **(env or {})))


@pytest.fixture
def https_bed(make_testbed):
    def make(pi_offset_ms=0, env=None):
        bed = make_testbed(pi_offset_ms=pi_offset_ms)
        bed.start_webd(dict(NO_LSAN, **(env or {})))
        return bed
    return make


def test_page_and_rest_over_https_with_a_self_signed_certificate(https_bed, tmp_path):
    bed = https_bed(pi_offset_ms=-2 * 3600 * 1000)
    assert bed.describe()["https"] == f"https://127.0.0.1:{bed.https_port}"

    status, body, headers = https(bed, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"/ws" in page_scripts(bed, body, lambda path: https(bed, "GET", path))
    status, body, _ = https(bed, "GET", "/api/system/time")
    assert status == 200
    assert set(json.loads(body)) >= {"timestamp", "epochMs", "timezone", "reliable"}
    # Plain HTTP goes on beside it.
    with urllib.request.urlopen(bed.http_url + "/api/system/time", timeout=30) as r:
        assert r.status == 200

    der = served_cert(bed)
    assert der == kept_cert(bed)
    text = openssl_text(der, tmp_path)
    host = socket.gethostname()
    assert f"CN = {host}" in text.split("issuer=")[0]
    assert "CA:FALSE" in text
    for name in (f"DNS:{host}", "DNS:localhost", "IP Address:192.168.4.1",
                 "IP Address:127.0.0.1"):  # lo is the access point here
        assert name in text, text
    subject = text.split("subject=")[1].split("\n")[0]
    issuer = text.split("issuer=")[1].split("\n")[0]
    assert subject == issuer
    # Self-signed: it verifies with itself as the only trust anchor, for localhost and the
    # access-point address.
    ctx = ssl.create_default_context(cafile=os.path.join(tls_dir(bed), "cert.pem"))
    for name in ("localhost", "127.0.0.1"):
        with socket.create_connection(("127.0.0.1", bed.https_port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.getpeercert()["subject"]

    # The fingerprint is logged once.
    fp = hashlib.sha256(der).hexdigest().upper()
    fp = ":".join(fp[i:i + 2] for i in range(0, len(fp), 2))
    log = bed.daemons["webd"].log()
    assert log.count("SHA-256 fingerprint") == 1 and fp in log
    assert "made in" in log



def test_tls_libraries_load_at_the_first_https_connection(https_bed):
    """webd checks its certificate at start through picamsync-webd-cert and loads GnuTLS (through
    GLib's TLS backend) only when a first HTTPS connection needs it; libnm not at all while
    NetworkManager is not on the bus (docs/architecture.md, "Memory")."""
    bed = https_bed()
    pid = bed.daemons["webd"].proc.pid
    assert "SHA-256 fingerprint" in bed.daemons["webd"].log()
    with urllib.request.urlopen(bed.http_url + "/api/system/time", timeout=30) as r:
        assert r.status == 200
    before = harness.mapped_libraries(pid)
    assert not before & {"libgnutls", "libgiognutls", "libnm"}, sorted(before)
    status, _, _ = https(bed, "GET", "/api/system/time")
    assert status == 200
    assert {"libgnutls", "libgiognutls"} <= harness.mapped_libraries(pid)

def test_certificate_is_kept_private_and_survives_a_restart(https_bed):
    bed = https_bed()
    first = served_cert(bed)
    d = tls_dir(bed)
    web = pwd.getpwnam("picamsync-web")
    key = os.stat(os.path.join(d, "key.pem"))
    assert stat.S_IMODE(key.st_mode) == 0o600 and key.st_uid == web.pw_uid
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    assert os.stat(os.path.join(d, "cert.pem")).st_uid == web.pw_uid
    assert not [f for f in os.listdir(d) if f not in ("cert.pem", "key.pem")]

    restart_webd(bed)
    assert served_cert(bed) == first
    log = bed.daemons["webd"].log()
    assert "HTTPS certificate kept in" in log and "made in" not in log


def other_key_pem(tmp_path):
    path = tmp_path / "other.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", str(path)], check=True,
                   capture_output=True)
    return path.read_bytes()


@pytest.mark.parametrize("damage", ["garbage-cert", "truncated-key", "key-of-another",
                                    "missing-key"])
def test_unusable_certificate_is_replaced_with_a_warning(https_bed, tmp_path, damage):
    bed = https_bed()
    first = served_cert(bed)
    d = tls_dir(bed)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    if damage == "garbage-cert":
        with open(cert, "wb") as f:
            f.write(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    elif damage == "truncated-key":
        with open(key, "r+b") as f:
            f.truncate(os.path.getsize(key) // 2)
    elif damage == "key-of-another":
        with open(key, "wb") as f:
            f.write(other_key_pem(tmp_path))
    else:
        os.unlink(key)
    restart_webd(bed)

    log = bed.daemons["webd"].log()
    words = "is incomplete" if damage == "missing-key" else "cannot be used"
    warning = [line for line in log.splitlines() if words in line]
    assert warning and warning[0].startswith("<4>") and "cert.pem" in warning[0], log
    second = served_cert(bed)
    assert second != first and second == kept_cert(bed)
    status, _, _ = https(bed, "GET", "/api/system/time")
    assert status == 200
    # The old file is kept for a look, the new key is private again.
    if damage != "missing-key":
        assert os.path.exists(cert + ".bad") and os.path.exists(key + ".bad")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_certificate_near_its_end_is_replaced(https_bed):
    bed = https_bed()
    first = served_cert(bed)
    # 20 days before its end (valid 3650 days from a day before it was made): renewed ahead.
    bed.fakeclock.set(offset_ms=TEN_YEARS_MS - 21 * 24 * 3600 * 1000)
    restart_webd(bed)
    log = bed.daemons["webd"].log()
    assert "in less than 30 days" in log and "made in" in log
    second = served_cert(bed)
    assert second != first
    # Renewed: the next start keeps it.
    restart_webd(bed)
    assert served_cert(bed) == second


def test_expired_certificate_is_replaced(https_bed):
    bed = https_bed()
    first = served_cert(bed)
    # Ten years later on the Pi's clock: the kept certificate has run out.
    bed.fakeclock.set(offset_ms=TEN_YEARS_MS)
    restart_webd(bed)
    log = bed.daemons["webd"].log()
    assert "the certificate expired on" in log and "made in" in log
    assert served_cert(bed) != first


def test_state_directory_not_writable_leaves_http_working(make_testbed):
    bed = make_testbed()
    locked = os.path.join(bed.workdir, "locked-state")
    os.makedirs(locked)
    os.chmod(locked, 0o755)  # root's: picamsync-web cannot write it
    bed.start_webd(dict(NO_LSAN, PICAMSYNC_STATE_DIR=locked))
    with urllib.request.urlopen(bed.http_url + "/api/system/time", timeout=30) as r:
        assert r.status == 200
    log = bed.daemons["webd"].log()
    warning = [line for line in log.splitlines() if "HTTPS is off" in line]
    assert warning and warning[0].startswith("<4>") and locked in warning[0], log
    assert not os.listdir(locked)


def test_websocket_over_tls_gets_welcome(https_bed):
    bed = https_bed()
    ws = wss(bed, origin=f"https://127.0.0.1:{bed.https_port}")
    try:
        assert ws.status == 101, ws.head
        m = ws.recv()
        while m["type"] != "welcome":
            m = ws.recv()
        assert m["data"]["interface"] == "ap"
    finally:
        ws.close()


def test_https_origin_of_the_same_host_is_accepted_another_refused(https_bed):
    bed = https_bed()
    same = f"https://127.0.0.1:{bed.https_port}"
    # A POST that passes the Origin check reaches the handler (400: no timestamp, nothing set).
    status, body, _ = https(bed, "POST", "/api/system/time", {},
                            {"Origin": same, "Content-Type": "application/json"})
    assert status == 400 and json.loads(body)["error"]["code"] == "missing-timestamp"
    for other in ("https://evil.example", f"https://localhost:{bed.https_port}",
                  "https://127.0.0.1:1"):
        status, body, _ = https(bed, "POST", "/api/system/time", {},
                                {"Origin": other, "Content-Type": "application/json"})
        assert status == 403 and json.loads(body)["error"]["code"] == "cross-origin", other
    # As on the Pi (ports 80 and 443, so Host carries none; the Pi's own name, which the Host
    # rule accepts by default): an https page of the same host is accepted on both servers,
    # another host refused.
    name = socket.gethostname().split(".")[0] + ".local"
    for url in (bed.https_url, bed.http_url):
        for origin, expect in ((f"https://{name}", 400), ("https://other.local", 403)):
            req = urllib.request.Request(url + "/api/system/time", data=b"{}", method="POST",
                                         headers={"Host": name, "Origin": origin,
                                                  "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=30, context=no_verify()
                                            if url.startswith("https") else None) as r:
                    status = r.status
            except urllib.error.HTTPError as e:
                status = e.code
            assert status == expect, (url, origin)
    ws = wss(bed, origin=same)
    assert ws.status == 101
    ws.close()
    ws = wss(bed, origin="https://evil.example")
    assert ws.status == 403
    ws.close()


def test_listen_https_by_hand_without_a_state_directory(make_testbed):
    bed = make_testbed()
    exe = os.path.join(bed.builddir, "webd", "picamsync-webd")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = bed.daemon_env(dict(NO_LSAN, PICAMSYNC_AP_INTERFACES="lo"))
    env.pop("PICAMSYNC_STATE_DIR", None)
    d = harness.Daemon("webd", bed.run_as("picamsync-web") +
                       [exe, "--listen-https", f"127.0.0.1:{port}"], env,
                       os.path.join(bed.workdir, "webd.log"))
    bed.daemons["webd"] = d
    harness.wait_until(lambda: not d.alive() or "Ready" in d.log(), 30, "webd to be ready")
    assert d.alive(), d.log()
    assert "for this run only" in d.log()
    bed.https_port, bed.https_url = port, f"https://127.0.0.1:{port}"
    status, _, _ = https(bed, "GET", "/api/system/time")
    assert status == 200


def test_listen_https_needs_a_port(make_testbed):
    bed = make_testbed()
    exe = os.path.join(bed.builddir, "webd", "picamsync-webd")
    env = bed.daemon_env(NO_LSAN)
    r = subprocess.run(bed.run_as("picamsync-web") + harness.NO_SYS_TIME +
                       [exe, "--listen-https", "127.0.0.1"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0
    assert "--listen-https needs ADDRESS:PORT" in r.stderr

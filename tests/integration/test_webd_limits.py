# SPDX-License-Identifier: LGPL-2.1-or-later
"""webd's connection limits against the testbed (docs/web-protocol.md, "Limits"): accepting
resumes after webd ran out of file descriptors, silent connections (plain, TLS, WebSocket) are
closed while live ones stay, kept-alive connections the client closed are released, an HTTPS
client that does not read is closed without stalling webd, the caps per address and in total, a
message in many frames is cut off with 1009 as soon as it passes the limit, and a page that does
not read is dropped with 1008. Every limit is set small through the environment; every socket is
on loopback."""

import json
import os
import select
import socket
import ssl
import threading
import time

import pytest

from picamsync_testbed import ASAN_OPTIONS_RSS, wait_until
from testbed_clients import Client, WsClient, http, is_type, ws_frame

GET = b"GET /api/timesync/log?limit=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"


def port_of(url):
    return int(url.rsplit(":", 1)[1].split("/")[0])


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def holds(pid, client_port, server_port):
    """True while process pid holds the server end of the TCP connection between these ports
    on loopback: counting descriptors would also count what else webd opens and closes
    meanwhile, such as the testbed's own probe connection until webd times it out."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if (int(local.rsplit(":", 1)[1], 16) == server_port
                        and int(remote.rsplit(":", 1)[1], 16) == client_port):
                    inodes.add(f"socket:[{inode}]")
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except FileNotFoundError:
            pass
    return False


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # webd's own self-signed certificate
    return ctx


def connect(port, source="127.0.0.1", timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0))


def answered(sock, timeout=10):
    """Sends a GET on sock and reads the answer's status line: True when webd answered, False
    when it closed the connection instead."""
    sock.settimeout(timeout)
    try:
        sock.sendall(GET)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                return False
            head += chunk
    except (ConnectionResetError, BrokenPipeError):
        return False
    assert head.startswith(b"HTTP/1.1 200"), head[:80]
    body_len = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")))
    body = head.split(b"\r\n\r\n", 1)[1]
    while len(body) < body_len:
        body += sock.recv(4096)
    return True


def closed_by_webd(sock, timeout):
    """Reads (and drops) whatever arrives on sock until webd closes it; seconds it took, None if
    it stayed open for timeout s. Reading sends nothing: a WebSocket's pings stay unanswered."""
    t0 = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - t0 < timeout:
        try:
            if not sock.recv(65536):
                return time.monotonic() - t0
        except (TimeoutError, socket.timeout, ssl.SSLWantReadError):
            continue
        except (ConnectionResetError, ssl.SSLError):
            return time.monotonic() - t0
    return None


def send_in_background(sock, data):
    """Sends data from a thread, so that the test reads what webd answers meanwhile; a webd that
    stops reading and closes ends the send with an error, which is fine."""
    def run():
        try:
            sock.sendall(data)
        except OSError:
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_accepting_resumes_after_running_out_of_descriptors(make_testbed):
    # Long silence limit and high caps: only the descriptor limit holds connections back.
    bed = make_testbed()
    d = bed.start_webd({"PICAMSYNC_REQUEST_TIMEOUT": "600000", "PICAMSYNC_MAX_CONNECTIONS": "1000",
                        "PICAMSYNC_MAX_CONNECTIONS_PER_ADDRESS": "1000"}, nofile=64)
    port = port_of(bed.http_url)
    idle = [connect(port) for _ in range(100)]  # the kernel queues what webd does not accept
    try:
        wait_until(lambda: fds(d.proc.pid) >= 60, 30, "webd to use up its descriptors")
        code = None
        try:
            with connect(port) as s:
                code = answered(s, timeout=3)
        except (TimeoutError, socket.timeout):
            pass
        assert not code, "webd answered although it has no descriptor left"
    finally:
        for s in idle:
            s.close()

    def answers():
        try:
            with connect(port, timeout=3) as s:
                return answered(s, timeout=3)
        except (TimeoutError, socket.timeout, OSError):
            return False
    wait_until(answers, 60, "the HTTP port to answer again")
    wait_until(lambda: fds(d.proc.pid) < 30, 30, "webd to close the connections")
    log = d.log()
    assert f"Cannot accept a connection on port {port} (http)" in log, log
    assert "Too many open files" in log
    assert f"Accepting connections on port {port} (http) again" in log
    assert "LimitNOFILE" in log  # said at start: 64 descriptors cannot hold 1000 connections
    code, _, _ = http(bed, "GET", "/api/timesync/status")
    assert code == 200


def test_silent_connections_are_closed(webd_bed):
    bed = webd_bed(env={"PICAMSYNC_REQUEST_TIMEOUT": "2000"})
    port, tls_port = port_of(bed.http_url), bed.https_port
    ctx = tls_context()

    def tls_handshaken():
        return ctx.wrap_socket(connect(tls_port))

    def partial_request():
        s = connect(port)
        s.sendall(b"GET / HTTP/1.1\r\n")
        return s

    def after_request():
        s = connect(port)
        assert answered(s)
        return s

    def partial_handshake():
        s = connect(tls_port)
        s.sendall(bytes.fromhex("160301020001"))  # a ClientHello's first bytes, then nothing
        return s

    cases = {"nothing sent": lambda: connect(port),
             "part of a request line": partial_request,
             "idle after a request (keep-alive)": after_request,
             "TLS: nothing sent": lambda: connect(tls_port),
             "TLS: part of a handshake": partial_handshake,
             "TLS: no request after the handshake": tls_handshaken}
    socks = {name: make() for name, make in cases.items()}
    # All at once: each is closed about 2 s after its last byte, none stays.
    for name, s in socks.items():
        took = closed_by_webd(s, 30)
        assert took is not None, f"{name}: still open after 30 s"
        s.close()
    # A connection that keeps talking stays open, however long it lasts in all.
    with connect(port) as s:
        for _ in range(4):
            assert answered(s)
            time.sleep(1)
    code, _, _ = http(bed, "GET", "/api/timesync/status")
    assert code == 200


def test_keepalive_connections_the_client_closed_are_released(webd_bed):
    # libsoup 3.2 keeps such a connection (and its descriptor) for ever; more of them than the
    # per-address cap would lock that address out.
    bed = webd_bed(env={"PICAMSYNC_MAX_CONNECTIONS_PER_ADDRESS": "8"})
    d = bed.daemons["webd"]
    port = port_of(bed.http_url)
    before = fds(d.proc.pid)
    for _ in range(40):
        with connect(port) as s:
            assert answered(s)
    wait_until(lambda: fds(d.proc.pid) <= before, 30, "webd to close the connections")
    with connect(port) as s:
        assert answered(s)


def test_https_client_that_does_not_read_is_closed_without_stalling_webd(webd_bed):
    # It asks for the style sheet again and again, and reads nothing: the answers fill the
    # socket, the wait to write more times out. Closing its TLS connection must not wait for it
    # either (a close_notify it would never read): other clients are served meanwhile.
    # A long silence limit: a webd that waited for this client when closing its connection
    # would hold every other request up for about that long (it did: 5.9 s of 6).
    bed = webd_bed(env={"PICAMSYNC_REQUEST_TIMEOUT": "20000"})
    d = bed.daemons["webd"]
    port = port_of(bed.http_url)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", bed.https_port))
    ports = (raw.getsockname()[1], bed.https_port)
    slow = tls_context().wrap_socket(raw)
    send_in_background(slow, b"GET /style.css HTTP/1.1\r\nHost: pi\r\n\r\n" * 3000)
    try:
        wait_until(lambda: holds(d.proc.pid, *ports), 30, "webd to accept the connection")
        worst = 0.0
        deadline = time.monotonic() + 60
        while holds(d.proc.pid, *ports):
            assert time.monotonic() < deadline, "webd did not close the connection"
            t0 = time.monotonic()
            with connect(port, timeout=30) as s:
                assert answered(s, timeout=30)
            worst = max(worst, time.monotonic() - t0)
            time.sleep(0.1)
        assert worst < 10, f"another request waited {worst:.1f} s"
    finally:
        slow.close()


def test_silent_websocket_is_closed_a_live_one_stays(webd_bed):
    # 3 s: webd pings every second; a page (this one answers every ping) is never that silent.
    bed = webd_bed(env={"PICAMSYNC_WEBSOCKET_TIMEOUT": "3000", "PICAMSYNC_REQUEST_TIMEOUT": "1000",
                        "PICAMSYNC_AP_INTERFACES": "none"})
    ctx = tls_context()
    for name, make in (("ws", lambda: WsClient(bed.ws_url)),
                       ("wss", lambda: WsClient(bed.wss_url, sock=ctx.wrap_socket(
                           connect(bed.https_port))))):
        live, silent = Client(bed), None
        live.ws.close()
        live.ws = make()
        silent = make()
        try:
            t0 = time.monotonic()
            silent.sock.setblocking(False)
            gone = None
            while gone is None and time.monotonic() - t0 < 30:
                live.messages_for(0.2)  # answers pings
                try:
                    while True:
                        if not silent.sock.recv(65536):
                            gone = time.monotonic() - t0
                            break
                except (BlockingIOError, ssl.SSLWantReadError):
                    pass
                except (ConnectionResetError, ssl.SSLError):
                    gone = time.monotonic() - t0
            assert gone is not None, f"{name}: the silent page is still open after 30 s"
            assert gone > 2, f"{name}: closed after {gone:.1f} s, before its limit"
            # Twice the limit (and beyond the 1 s one of HTTP) later, the live page works.
            live.messages_for(6)
            assert live.request_status()["type"] == "time-sync-status"
        finally:
            live.close()
            silent.close()
    wait_until(lambda: d_log(bed).count("sent nothing for 3 s") >= 2, 10,
               "webd to log why it closed both")


def d_log(bed):
    return bed.daemons["webd"].log()


def test_connection_caps(webd_bed):
    bed = webd_bed(env={"PICAMSYNC_MAX_CONNECTIONS": "5",
                        "PICAMSYNC_MAX_CONNECTIONS_PER_ADDRESS": "3",
                        "PICAMSYNC_REQUEST_TIMEOUT": "600000"})
    port = port_of(bed.http_url)
    wait_until(lambda: "Ready" in d_log(bed), 10, "webd to be ready")
    held = []
    try:
        for _ in range(3):
            held.append(connect(port))
            assert answered(held[-1])  # accepted, and kept open
        with connect(port) as s:
            assert not answered(s), "a 4th connection from one address was accepted"
        for _ in range(2):
            held.append(connect(port, "127.0.0.2"))
            assert answered(held[-1])
        with connect(port, "127.0.0.3") as s:
            assert not answered(s), "a 6th connection was accepted"
        # Once one of them closes, its address gets a connection again.
        held.pop(0).close()

        def accepted():
            with connect(port) as s:
                return answered(s)
        wait_until(accepted, 30, "webd to accept from 127.0.0.1 again")
        for s in held:  # the others were never disturbed
            assert answered(s)
    finally:
        for s in held:
            s.close()
    log = d_log(bed)
    assert "Refused a connection from 127.0.0.1" in log, log
    assert "PICAMSYNC_MAX_CONNECTIONS_PER_ADDRESS" in log
    assert "Refused a connection from 127.0.0.3" in log
    assert "as many as PICAMSYNC_MAX_CONNECTIONS allows" in log


def test_message_in_many_frames_is_cut_off_with_1009(webd_bed):
    bed = webd_bed(env={"PICAMSYNC_AP_INTERFACES": "none", "ASAN_OPTIONS": ASAN_OPTIONS_RSS})
    pid = bed.daemons["webd"].proc.pid
    c = Client(bed)
    try:
        c.wait_for(is_type("welcome"), answer=False)
        before = rss_kib(pid)
        # One text message of 80 MiB in 80 frames of 1 MiB: each frame is within libsoup's
        # limit; the message is not.
        mib = b" " * (1 << 20)
        frames = [ws_frame(b"{" + mib[1:] if i == 0 else mib, opcode=1 if i == 0 else 0,
                           fin=i == 79) for i in range(80)]
        sender = send_in_background(c.ws.sock, b"".join(frames))
        err = c.wait_for(is_type("error"), answer=False, timeout=60)["data"]
        assert err["code"] == "too-large", err
        with pytest.raises(ConnectionError):
            c.wait_for(lambda m: False, answer=False, timeout=60)
        assert c.ws.close_code == 1009
        sender.join(60)
        # webd read about 68 KiB of it, not 80 MiB.
        assert rss_kib(pid) - before < 8 * 1024, (before, rss_kib(pid))
    finally:
        c.close()
    assert "(1009)" in d_log(bed)
    d = Client(bed)  # webd is fine
    try:
        d.wait_for(is_type("welcome"), answer=False)
        d.request_status()
    finally:
        d.close()


def test_page_that_does_not_read_is_dropped_with_1008(webd_bed):
    bed = webd_bed(env={"PICAMSYNC_WEBSOCKET_SEND_LIMIT": "262144",
                        "PICAMSYNC_AP_INTERFACES": "none", "ASAN_OPTIONS": ASAN_OPTIONS_RSS})
    pid = bed.daemons["webd"].proc.pid
    reader = Client(bed)
    reader.wait_for(is_type("welcome"), answer=False)
    before = rss_kib(pid)
    # A page with a tiny receive buffer that asks for the status again and again and reads
    # nothing: the answers pile up in webd.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port_of(bed.http_url)))
    slow = WsClient(bed.ws_url, sock=sock)
    ask = json.dumps({"type": "get-time-sync-status", "data": {}})
    try:
        # Never blocked in a send: once webd has decided to drop the page it stops reading it,
        # and cuts the connection 5 s later; a send still waiting then (a busy machine) would
        # meet the reset instead of the page reading the close frame. A 60-byte frame fits
        # whole when the socket polls writable.
        deadline = time.monotonic() + 60
        for _ in range(2000):
            for _ in range(50):
                if not select.select([], [sock], [], 0.2)[1]:
                    break
                slow.send(ask)
            if "(1008)" in d_log(bed) or time.monotonic() > deadline:
                break
        wait_until(lambda: "(1008)" in d_log(bed), 30, "webd to drop the page")
        # What the slow page gets when it reads at last: what was sent, then the close (1008).
        # libsoup cuts the connection 5 s after its close frame was queued: read from now on,
        # beside what follows, so that a busy machine cannot make the page read too late.
        drained = {}

        def drain():
            try:
                while True:
                    slow.recv(timeout=30)
            except ConnectionError:
                drained["code"] = slow.close_code
            except Exception as e:  # noqa: BLE001 (reported below)
                drained["error"] = repr(e)

        drainer = threading.Thread(target=drain, daemon=True)
        drainer.start()
        # The other page is not disturbed.
        assert reader.request_status()["type"] == "time-sync-status"
        drainer.join(60)
        assert drained.get("code") == 1008, drained
    finally:
        slow.close()
        reader.close()
    log = d_log(bed)
    assert "does not read what webd sends" in log
    assert "PICAMSYNC_WEBSOCKET_SEND_LIMIT" in log
    # What waited for it is gone: webd's memory is back within a few MiB (5 MiB here under
    # ASan; a webd that kept what it was asked to send would hold tens of MiB).
    wait_until(lambda: rss_kib(pid) - before < 16 * 1024, 30,
               "webd's memory to return near where it was")

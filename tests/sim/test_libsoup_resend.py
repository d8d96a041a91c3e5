# SPDX-License-Identifier: LGPL-2.1-or-later
"""The libsoup facts camerad's "a shot is never sent twice" rests on (camerad/ccapi-client.h,
docs/ccapi.md, Connections), checked against the installed libsoup 3 through GObject
introspection and the simulator, which counts requests and closes a connection without an
answer on demand (fault "gone"):

1. libsoup does resend by itself: a GET on a reused kept-alive connection that the camera
   closed without answering goes out again on a new connection.
2. It does not for a POST, even when the message is flagged SOUP_MESSAGE_IDEMPOTENT (which
   camerad sets so that the shutter reuses the connection).
3. camerad's guard works: a message cancelled in its "starting" signal (emitted before each
   send) is not written again.
If a libsoup upgrade changes 1 or 2, this test says so before a camera takes two shots."""

import json
import os
import subprocess
import tempfile
import urllib.request

import gi

gi.require_version("Soup", "3.0")
from gi.repository import Gio, GLib, Soup  # noqa: E402

BUILDDIR = os.environ.get("PICAMSYNC_BUILDDIR",
                          os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SIM = os.path.join(BUILDDIR, "tools", "ccapi-sim", "ccapi-sim")


class Sim:
    def __init__(self):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([SIM, "--port", "0", "--no-ssdp", "--print-json",
                                      "--write-ms", "0"],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.urls = json.loads(self.proc.stdout.readline())

    def set(self, **kw):
        req = urllib.request.Request(self.urls["sim"], data=json.dumps(kw).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(10)


def send(session, method, url, body=None, guard=False):
    """Sends one message as ccapi-client.c does (IDEMPOTENT, NO_REDIRECT, own cancellable);
    (error message or None, number of "starting" signals)."""
    loop = GLib.MainLoop()
    msg = Soup.Message.new(method, url)
    msg.add_flags(Soup.MessageFlags.IDEMPOTENT | Soup.MessageFlags.NO_REDIRECT)
    if body is not None:
        msg.set_request_body_from_bytes("application/json", GLib.Bytes.new(body.encode()))
    own = Gio.Cancellable()
    starts = []

    def on_starting(m):
        starts.append(1)
        if guard and len(starts) > 1:
            own.cancel()

    msg.connect("starting", on_starting)
    result = {}

    def done(s, res):
        try:
            s.send_and_read_finish(res)
            result["error"] = None
        except GLib.Error as e:
            result["error"] = e.message
        loop.quit()

    session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, own, done)
    loop.run()
    return result["error"], len(starts)


def requests_seen(sim, method):
    with urllib.request.urlopen(sim.urls["sim"], timeout=5) as r:
        return [e for e in json.load(r)["requestLog"] if e["method"] == method]


def broken_second_request(method, path, body=None, guard=False):
    """A first request opens the kept-alive connection; then the camera closes connections
    without answering and the same request goes out on the reused one."""
    sim = Sim()
    try:
        session = Soup.Session(max_conns_per_host=1)
        url = sim.urls["camera"] + path
        assert send(session, method, url, body)[0] is None
        sim.set(fault="gone", connections=0)
        error, starts = send(session, method, url, body, guard=guard)
        return error, starts, requests_seen(sim, method)
    finally:
        assert sim.stop() == 0


def test_libsoup_resends_a_get_on_a_reused_connection():
    error, starts, seen = broken_second_request("GET", "/ver100/functions/datetime")
    assert starts == 2
    assert len(seen) == 2 and seen[0]["connection"] != seen[1]["connection"]
    assert error is not None  # "gone" closes the new connection too


def test_libsoup_never_resends_a_post_flagged_idempotent():
    error, starts, seen = broken_second_request(
        "POST", "/ver100/shooting/control/shutterbutton", body='{"af":false}')
    assert starts == 1
    assert len(seen) == 1
    assert error is not None


def test_cancelling_in_starting_stops_the_resend():
    error, starts, seen = broken_second_request("GET", "/ver100/functions/datetime",
                                                guard=True)
    assert starts == 2
    assert len(seen) == 1  # the second start wrote nothing
    assert "cancel" in error.lower()

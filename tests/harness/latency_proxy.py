#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A TCP relay that delays what it forwards, to put Wi-Fi-like latency between a client
and webd (the kernel here has no netem). See docs/testing.md, "The latency proxy".

Every chunk read from one side is delivered to the other after a delay drawn from that
direction's distribution ("up": client to target, "down": target to client), at

    delivery = max(arrival + delay, delivery of the previous chunk in that direction)

so the byte stream keeps its order however the delays are drawn. A chunk is what one
read returned (up to 64 KiB), so the delay applies per TCP read, not per message; the
connection set-up itself is not delayed (the target is dialled on accept). EOF
travels the same way, after the data before it: a side that shuts down its writing half
makes the proxy shut down the writing half towards the other side (half-close is kept),
and the connection is closed on both sides once both directions have ended, or at
once when either side resets or a write fails.

Library use, from synchronous code (the asyncio loop runs in a thread of its own):

    with LatencyProxy("127.0.0.1", 0, "127.0.0.1", 8080,
                      up=Dist.uniform(5, 50), down="normal:20:5") as proxy:
        urlopen(f"http://127.0.0.1:{proxy.port}/")

Command line (prints one JSON line, then relays until SIGINT/SIGTERM):

    latency_proxy.py --listen 127.0.0.1:0 --target 127.0.0.1:8080 \\
                     --up uniform:5:50 --down uniform:5:50
    → {"listen": "127.0.0.1:PORT"}

Distributions, in milliseconds: "40" or "constant:40", "uniform:A:B", "normal:MEAN:SD"
(clipped at 0). The proxy listens on loopback only, unless told that the address is
one inside a test network namespace (allow_nonloopback / --allow-nonloopback); it never
listens on a wildcard address.
"""

import argparse
import asyncio
import ipaddress
import json
import random
import signal
import socket
import sys
import threading

__all__ = ["Dist", "LatencyProxy", "LatencyProxyError"]

CHUNK = 64 * 1024
# Bytes waiting for their delivery time, per direction, before the proxy stops reading
# from that side (TCP flow control then slows the sender down) ...
HIGH_WATER = 4 * 1024 * 1024
# ... and resumes.
LOW_WATER = 1 * 1024 * 1024


class LatencyProxyError(Exception):
    pass


class Dist:
    """A delay distribution in milliseconds. sample(rng) never returns less than 0."""

    def __init__(self, kind, a=0.0, b=0.0):
        if kind not in ("constant", "uniform", "normal"):
            raise ValueError(f"unknown distribution {kind!r}")
        a, b = float(a), float(b)
        if kind == "constant" and a < 0:
            raise ValueError(f"negative delay {a} ms")
        if kind == "uniform" and not 0 <= a <= b:
            raise ValueError(f"uniform:{a:g}:{b:g} needs 0 <= A <= B")
        if kind == "normal" and b < 0:
            raise ValueError(f"normal:{a:g}:{b:g} needs SD >= 0")
        self.kind, self.a, self.b = kind, a, b

    @classmethod
    def constant(cls, ms):
        return cls("constant", ms)

    @classmethod
    def uniform(cls, low_ms, high_ms):
        return cls("uniform", low_ms, high_ms)

    @classmethod
    def normal(cls, mean_ms, sd_ms):
        return cls("normal", mean_ms, sd_ms)

    @classmethod
    def parse(cls, spec):
        """'40', 'constant:40', 'uniform:5:50', 'normal:20:5'."""
        parts = str(spec).strip().split(":")
        try:
            if len(parts) == 1:
                return cls.constant(float(parts[0]))
            kind, args = parts[0], [float(p) for p in parts[1:]]
        except ValueError:
            raise ValueError(f"bad delay distribution {spec!r}") from None
        want = {"constant": 1, "uniform": 2, "normal": 2}.get(kind)
        if want is None or len(args) != want:
            raise ValueError(f"bad delay distribution {spec!r}: use MS, constant:MS, "
                             "uniform:A:B or normal:MEAN:SD (milliseconds)")
        return cls(kind, *args)

    @classmethod
    def of(cls, value):
        """A Dist from a Dist, a number of milliseconds, a spec string, or None (0)."""
        if isinstance(value, Dist):
            return value
        if value is None:
            return cls.constant(0)
        if isinstance(value, (int, float)):
            return cls.constant(value)
        return cls.parse(value)

    def sample(self, rng):
        if self.kind == "constant":
            return self.a
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        return max(0.0, rng.gauss(self.a, self.b))

    def __repr__(self):
        if self.kind == "constant":
            return f"Dist.constant({self.a:g})"
        return f"Dist.{self.kind}({self.a:g}, {self.b:g})"

    def __str__(self):
        if self.kind == "constant":
            return f"constant:{self.a:g}"
        return f"{self.kind}:{self.a:g}:{self.b:g}"


def _check_listen_host(host, allow_nonloopback):
    if host == "localhost":
        return
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise LatencyProxyError(f"listen address {host!r} must be an IP address or "
                                "'localhost'") from None
    if addr.is_unspecified:
        raise LatencyProxyError(f"refusing to listen on the wildcard address {host}")
    if not addr.is_loopback and not allow_nonloopback:
        raise LatencyProxyError(
            f"refusing to listen on {host}: loopback only, unless the address lives in a "
            "test network namespace (allow_nonloopback=True, --allow-nonloopback)")


class _Direction:
    """One direction of one connection: reads chunks, delivers them late, in order."""

    def __init__(self, proxy, conn, reader, writer, name):
        self.proxy, self.conn = proxy, conn
        self.reader, self.writer, self.name = reader, writer, name
        self.queue = asyncio.Queue()
        self.queued = 0
        self.resume = asyncio.Event()
        self.resume.set()
        self.last_delivery = 0.0

    def _schedule(self, item):
        loop = asyncio.get_running_loop()
        dist = self.proxy.up if self.name == "up" else self.proxy.down
        delay = dist.sample(self.proxy.rng) / 1000.0
        self.last_delivery = max(loop.time() + delay, self.last_delivery)
        self.queue.put_nowait((self.last_delivery, item))

    async def pump_in(self):
        try:
            while True:
                await self.resume.wait()
                data = await self.reader.read(CHUNK)
                self._schedule(data)  # b"" is EOF, delivered after the data before it
                if not data:
                    return
                self.queued += len(data)
                if self.queued > HIGH_WATER:
                    self.resume.clear()
        except (ConnectionError, OSError):
            self.conn.abort()

    async def pump_out(self):
        loop = asyncio.get_running_loop()
        try:
            while True:
                when, data = await self.queue.get()
                wait = when - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if self.writer.can_write_eof():
                        self.writer.write_eof()
                    return
                self.writer.write(data)
                await self.writer.drain()
                self.queued -= len(data)
                if self.queued < LOW_WATER:
                    self.resume.set()
        except (ConnectionError, OSError):
            self.conn.abort()


class _Connection:
    def __init__(self, proxy, c_reader, c_writer):
        self.proxy = proxy
        self.c_reader, self.c_writer = c_reader, c_writer
        self.t_writer = None
        self.tasks = []

    async def run(self):
        try:
            t_reader, self.t_writer = await asyncio.open_connection(
                self.proxy.target_host, self.proxy.target_port)
        except OSError:
            self.c_writer.transport.abort()
            return
        for w in (self.c_writer, self.t_writer):
            sock = w.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        up = _Direction(self.proxy, self, self.c_reader, self.t_writer, "up")
        down = _Direction(self.proxy, self, t_reader, self.c_writer, "down")
        self.tasks = [asyncio.create_task(f()) for f in
                      (up.pump_in, up.pump_out, down.pump_in, down.pump_out)]
        try:
            # Both directions delivered their EOF, or abort() cancelled the lot.
            await asyncio.gather(*self.tasks, return_exceptions=True)
        finally:
            self.close()

    def abort(self):
        """A reset or a failed write on either side: drop both sides now."""
        for w in (self.c_writer, self.t_writer):
            if w is not None:
                w.transport.abort()
        current = asyncio.current_task()
        for t in self.tasks:
            if t is not current:
                t.cancel()

    def close(self):
        for w in (self.c_writer, self.t_writer):
            if w is not None:
                w.close()


class LatencyProxy:
    """TCP relay from (listen_host, listen_port) to (target_host, target_port) with a
    delay distribution per direction (Dist, milliseconds, or a spec string).

    start()/stop() run it on an asyncio loop in a thread of its own; it is also a context
    manager. up and down may be reassigned while it runs (they are read per chunk)."""

    def __init__(self, listen_host="127.0.0.1", listen_port=0, target_host="127.0.0.1",
                 target_port=None, up=None, down=None, seed=None, allow_nonloopback=False):
        if target_port is None:
            raise LatencyProxyError("target_port is required")
        _check_listen_host(listen_host, allow_nonloopback)
        self.listen_host, self.listen_port = listen_host, int(listen_port)
        self.target_host, self.target_port = target_host, int(target_port)
        self.up, self.down = Dist.of(up), Dist.of(down)
        self.rng = random.Random(seed)
        self._loop = None
        self._thread = None
        self._server = None
        self._port = None
        self._connections = set()
        self._stop_requested = None

    @property
    def up(self):
        return self._up

    @up.setter
    def up(self, value):
        self._up = Dist.of(value)

    @property
    def down(self):
        return self._down

    @down.setter
    def down(self, value):
        self._down = Dist.of(value)

    @property
    def port(self):
        """The port it listens on (the real one when listen_port was 0)."""
        if self._port is None:
            raise LatencyProxyError("not started")
        return self._port

    @property
    def address(self):
        """'host:port' ('[v6]:port' for IPv6), as the command line prints it."""
        host = self.listen_host
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.port}"

    @property
    def active_connections(self):
        return len(self._connections)

    # --- asyncio side -----------------------------------------------------------------

    async def start_async(self):
        """Starts listening on the running loop (for asyncio callers)."""
        self._stop_requested = asyncio.Event()
        self._server = await asyncio.start_server(
            self._accept, self.listen_host, self.listen_port, reuse_address=True)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop_async(self):
        """Stops listening and drops every connection (both sides)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for conn in list(self._connections):
            conn.abort()
        while self._connections:
            await asyncio.sleep(0.01)

    def request_stop(self):
        """Makes serve_until_stopped() return (call it on the loop's thread)."""
        self._stop_requested.set()

    async def serve_until_stopped(self):
        """Relays (after start_async()) until request_stop(), then stops."""
        await self._stop_requested.wait()
        await self.stop_async()

    async def _accept(self, reader, writer):
        conn = _Connection(self, reader, writer)
        self._connections.add(conn)
        try:
            await conn.run()
        finally:
            self._connections.discard(conn)

    # --- synchronous side -------------------------------------------------------------

    def start(self, timeout=10.0):
        if self._thread is not None:
            raise LatencyProxyError("already started")
        ready = threading.Event()
        failure = []

        async def main():
            try:
                await self.start_async()
            except BaseException as e:  # reported to start()'s caller
                failure.append(e)
                return
            finally:
                ready.set()
            await self.serve_until_stopped()

        def run():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(main())
            finally:
                leftovers = asyncio.all_tasks(loop)
                for t in leftovers:
                    t.cancel()
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                asyncio.set_event_loop(None)
                loop.close()

        self._thread = threading.Thread(target=run, name="latency-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise LatencyProxyError("proxy did not start")
        if failure:
            self._thread.join()
            self._thread = None
            raise LatencyProxyError(f"cannot listen on {self.listen_host}:"
                                    f"{self.listen_port}: {failure[0]}") from failure[0]
        return self

    def stop(self, timeout=10.0):
        """Stops listening and drops every connection (both sides)."""
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self.request_stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise LatencyProxyError("proxy did not stop")
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _host_port(text, what):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{what} must be HOST:PORT, not {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "127.0.0.1", int(port)


def _dist(text):
    try:
        return Dist.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main(argv=None):
    p = argparse.ArgumentParser(description="TCP relay with a delay distribution per "
                                "direction (milliseconds).")
    p.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT",
                   type=lambda s: _host_port(s, "--listen"),
                   help="where to listen (default 127.0.0.1:0, any free port)")
    p.add_argument("--target", required=True, metavar="HOST:PORT",
                   type=lambda s: _host_port(s, "--target"), help="where to relay to")
    p.add_argument("--up", type=_dist, default=Dist.constant(0), metavar="DIST",
                   help="delay client→target: MS, constant:MS, uniform:A:B, normal:MEAN:SD")
    p.add_argument("--down", type=_dist, default=Dist.constant(0), metavar="DIST",
                   help="delay target→client, same forms")
    p.add_argument("--seed", type=int, help="seed of the delay generator")
    p.add_argument("--allow-nonloopback", action="store_true",
                   help="allow a non-loopback listen address (one inside a test netns)")
    args = p.parse_args(argv)

    try:
        proxy = LatencyProxy(args.listen[0], args.listen[1], args.target[0], args.target[1],
                             up=args.up, down=args.down, seed=args.seed,
                             allow_nonloopback=args.allow_nonloopback)
    except LatencyProxyError as e:
        p.error(str(e))

    async def run():
        try:
            await proxy.start_async()
        except OSError as e:
            print(f"latency_proxy: cannot listen on {args.listen[0]}:{args.listen[1]}: {e}",
                  file=sys.stderr)
            return 1
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, proxy.request_stop)
        print(json.dumps({"listen": proxy.address}), flush=True)
        await proxy.serve_until_stopped()
        return 0

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small D-Bus client for tests and tools (Gio through PyGObject): calls, properties, and
signals collected in order, with waits that pump the main context instead of sleeping."""

import collections
import time

from gi.repository import Gio, GLib


class BusCallError(Exception):
    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class BusClient:
    def __init__(self, address):
        flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                 | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.context = GLib.MainContext.new()
        self.context.push_thread_default()
        try:
            self.conn = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
        finally:
            self.context.pop_thread_default()
        self.signals = collections.deque()
        self._subscriptions = []

    def close(self):
        for s in self._subscriptions:
            self.conn.signal_unsubscribe(s)
        self.conn.close_sync(None)

    def call(self, dest, path, iface, method, signature=None, args=(), timeout_ms=10000):
        params = GLib.Variant(f"({signature})", tuple(args)) if signature else None
        try:
            reply = self.conn.call_sync(dest, path, iface, method, params, None,
                                        Gio.DBusCallFlags.NONE, timeout_ms, None)
        except GLib.Error as e:
            name = Gio.DBusError.get_remote_error(e) or str(e.domain)
            message = e.message
            prefix = f"GDBus.Error:{name}: "
            if message.startswith(prefix):
                message = message[len(prefix):]
            raise BusCallError(name, message) from None
        return reply.unpack() if reply is not None else ()

    def get(self, dest, path, iface, prop):
        return self.call(dest, path, "org.freedesktop.DBus.Properties", "Get", "ss",
                         (iface, prop))[0]

    def get_all(self, dest, path, iface):
        return self.call(dest, path, "org.freedesktop.DBus.Properties", "GetAll", "s",
                         (iface,))[0]

    def introspect(self, dest, path):
        return self.call(dest, path, "org.freedesktop.DBus.Introspectable", "Introspect")[0]

    def subscribe(self, sender=None, iface=None, member=None, path=None):
        def on_signal(conn, sender_name, object_path, interface, signal_name, params):
            self.signals.append((interface, signal_name, object_path, params.unpack(),
                                 time.monotonic()))

        self.context.push_thread_default()
        try:
            sid = self.conn.signal_subscribe(sender, iface, member, path, None,
                                             Gio.DBusSignalFlags.NONE, on_signal)
        finally:
            self.context.pop_thread_default()
        self._subscriptions.append(sid)
        # A round trip makes sure the match rule is in place before the caller goes on.
        self.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                  "GetId")
        return sid

    def pump(self, seconds=0.0):
        deadline = time.monotonic() + seconds
        while True:
            while self.context.iteration(False):
                pass
            if time.monotonic() >= deadline:
                return
            time.sleep(0.005)

    def wait_signal(self, predicate, timeout=5.0):
        """Returns (and removes) the first collected signal that predicate accepts."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            for s in list(self.signals):
                if predicate(s):
                    self.signals.remove(s)
                    return s
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)

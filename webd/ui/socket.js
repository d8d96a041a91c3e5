// The WebSocket to webd: connects (and reconnects), answers the time exchange at once,
// and hands every other message to whoever listens for its type.
"use strict";

// This device's clock with sub-millisecond resolution, as webd's error bound expects.
export const now = () => performance.timeOrigin + performance.now();

export const deviceZone = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch (e) {
    return undefined;
  }
})();

const RETRY_MS = 3000;
const listeners = new Map();
let socket = null;

// fn(message, receivedAt) for every message of this type; "open" and "close" too.
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, []);
  listeners.get(type).push(fn);
}

function emit(type, message, receivedAt) {
  for (const fn of listeners.get(type) || []) {
    try {
      fn(message, receivedAt);
    } catch (e) {
      console.warn("picamsync: handler for " + type + " failed", e);
    }
  }
}

export const isOpen = () => socket !== null && socket.readyState === WebSocket.OPEN;

// Sends {type, data}; false when there is no open connection.
export function send(type, data) {
  if (!isOpen()) return false;
  socket.send(JSON.stringify({ type, data: data || {} }));
  return true;
}

export function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  socket = ws;
  ws.onopen = () => emit("open");
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    emit("close");
    setTimeout(connect, RETRY_MS);
  };
  ws.onmessage = (ev) => {
    // t2: read before anything else, so that parsing does not count as network delay.
    const received = now();
    let m;
    try {
      m = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    if (!m || typeof m !== "object") return;
    if (m.type === "time-sync-request") {
      // Answered here and now (t3 read at send), before any page code runs.
      ws.send(JSON.stringify({ type: "time-sync-response", data: {
        requestId: m.requestId, serverTime: m.serverTime, clientReceiveTime: received,
        clientTime: now(), timezone: deviceZone } }));
    }
    emit(m.type, m, received);
  };
}

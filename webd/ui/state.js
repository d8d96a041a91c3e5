// What the page knows: webd's status object and an estimate of the Pi's clock.
"use strict";

import { now } from "./socket.js";

const statusListeners = [];
export let status = null;

export function onStatus(fn) {
  statusListeners.push(fn);
  if (status) fn(status);
}

export function setStatus(s) {
  if (!s || typeof s !== "object") return;
  status = s;
  for (const fn of statusListeners) fn(s);
}

// The Pi's clock minus this device's (ms) and the bound of that estimate (Infinity when it
// came one way only, from a message's send time).
export const piClock = { offset: null, bound: Infinity, at: 0 };

const PRECISE_FOR_MS = 15000;

// piMs: the Pi's time at some instant; before/after: this device's clock around it.
export function notePiTime(piMs, before, after) {
  if (typeof piMs !== "number" || !Number.isFinite(piMs)) return;
  const offset = piMs - (before + after) / 2;
  const bound = after > before ? (after - before) / 2 : Infinity;
  const t = now();
  // A one-way estimate does not replace a recent round-trip one, unless the Pi was stepped.
  if (bound === Infinity && piClock.bound !== Infinity && t - piClock.at < PRECISE_FOR_MS &&
      Math.abs(offset - piClock.offset) < 1000) return;
  piClock.offset = offset;
  piClock.bound = bound;
  piClock.at = t;
}

export const piNow = () => (piClock.offset === null ? NaN : now() + piClock.offset);

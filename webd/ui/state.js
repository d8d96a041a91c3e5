// What the page knows: webd's status object and an estimate of the Pi's clock.
"use strict";

import { now } from "./socket.js";
import { whenText } from "./format.js";

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

// The Pi's IANA zone (undefined until webd said): every Pi-side time is shown in it.
export const piZone = () => (status && status.pi && status.pi.timezone) || undefined;

// A Pi-side time (ISO or epoch ms, in Pi time) briefly, in the Pi's zone: "19:08:19" on the
// Pi's today, "2026-11-20 19:08" another day.
export const piWhen = (t) => whenText(t, piZone(), piNow());

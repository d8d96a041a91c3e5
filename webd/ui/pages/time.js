// Time page: the Pi's clock beside this device's and their difference, live; "Sync now";
// setting the Pi from a typed time and zone.
"use strict";

import { api } from "../rest.js";
import { $, setDateTime, setText } from "../dom.js";
import { aheadText, clockText, dateText, durationText, isZone, signedSeconds, toWallTime,
         wallTimeToMs } from "../format.js";
import { notePiTime, piClock, piNow, status } from "../state.js";
import { deviceZone, now } from "../socket.js";

const POLL_MS = 5000;
let tickTimer = 0;
let pollTimer = 0;

// One round trip to webd gives the Pi's clock to within half of it.
async function measure() {
  const before = now();
  try {
    const t = await api("GET", "/api/system/time", undefined, "Reading the Pi's clock");
    notePiTime(t.epochMs, before, now());
  } catch (e) {
    // Shown as a notice by api().
  }
}

function tick() {
  const device = now();
  const pi = piNow();
  const piZone = status && status.pi ? status.pi.timezone : undefined;
  if (!Number.isNaN(pi)) setDateTime("time-pi", dateText(pi, piZone), clockText(pi, piZone));
  setText("time-pizone", piZone || "");
  setDateTime("time-device", dateText(device), clockText(device));
  setText("time-devzone", deviceZone || "");
  if (Number.isNaN(pi)) return;
  const diff = -piClock.offset; // this device minus the Pi
  setText("time-diff", signedSeconds(diff));
  setText("time-diff-bound", Number.isFinite(piClock.bound) ? "±" + durationText(piClock.bound) : "(rough)");
  setText("time-verdict", Math.abs(diff) < 1000
    ? "This device and the Pi agree to within a second."
    : "This device is " + aheadText(diff) + " of the Pi. If this device is right, press Sync now.");
}

async function setManual(ev) {
  ev.preventDefault();
  const result = $("manual-result");
  const zone = $("manual-zone").value.trim();
  const wall = $("manual-time").value;
  if (!isZone(zone)) {
    result.textContent = "“" + zone + "” is not a time zone this device knows; use a name like Europe/Berlin.";
    return;
  }
  const ms = wallTimeToMs(wall, zone);
  if (Number.isNaN(ms)) {
    result.textContent = "Enter a date and a time.";
    return;
  }
  const button = ev.submitter || $("manual-form").querySelector("button[type=submit]");
  button.disabled = true;
  result.textContent = "Setting the Pi…";
  try {
    const r = await api("POST", "/api/system/time", { timestamp: new Date(ms).toISOString(), timezone: zone },
      "Setting the Pi's time");
    const changed = r.newTime !== r.previousTime;
    result.textContent = (changed ? "The Pi was set; it was " : "The Pi was already right; it was ") +
      aheadText(-r.offsetMs) + ". Zone: " + (r.timezone || zone) + ".";
    measure();
  } catch (e) {
    result.textContent = "Not set: " + e.message;
  } finally {
    button.disabled = false;
  }
}

export function init() {
  $("manual-form").addEventListener("submit", setManual);
}

export function enter() {
  if (!$("manual-zone").value) $("manual-zone").value = deviceZone || "UTC";
  if (!$("manual-time").value) $("manual-time").value = toWallTime(Date.now());
  measure();
  tick();
  tickTimer = setInterval(tick, 250);
  pollTimer = setInterval(measure, POLL_MS);
}

export function leave() {
  clearInterval(tickTimer);
  clearInterval(pollTimer);
}

// Status page: the Pi and camera TimeSync lines, live, and the timelapse in one line.
"use strict";

import { $, setDateTime, setText } from "../dom.js";
import { SOURCE_WORDS, aheadText, camLine, camState, clockText, dateText, durationText, piLine,
         piState, toMs } from "../format.js";
import { onStatus, piNow, piWhen, piZone, status } from "../state.js";

function showCard(id, s) {
  $(id + "-card").dataset.state = s.state;
  setText(id + "-badge", s.word);
}

export function timelapseLine(tl) {
  if (!tl || !tl.state) return "not reported";
  if (tl.state === "idle") return "idle";
  return tl.state + ": " + (tl.shotsTaken ?? 0) + " taken, " + (tl.shotsFailed ?? 0) + " failed";
}

function piDetail(s) {
  const pi = s.pi || {};
  const parts = [];
  if (pi.lastSyncTime) {
    parts.push("Last synced " + piWhen(pi.lastSyncTime) +
      (pi.source ? " from " + (SOURCE_WORDS[pi.source] || pi.source) : "") +
      (typeof pi.lastOffsetMs === "number" ? " (it was " + aheadText(-pi.lastOffsetMs) + ")" : "") + ".");
  } else {
    parts.push("Not synced since it started: open this page on a phone on the Pi's Wi-Fi, or press Sync now.");
  }
  if (pi.reliableUntil) parts.push("Trusted until " + piWhen(pi.reliableUntil) + ".");
  if (pi.ntpSynchronized) parts.push("Kept right by the internet (NTP).");
  if (s.autoSync === false) parts.push("Automatic sync is off.");
  return parts.join(" ");
}

// Every time here is a Pi time (webd's clock, ISO UTC), shown in the Pi's zone like its clock.
function camDetail(cam, pi) {
  if (!cam || !cam.connected) return "No camera is connected. Switch it on and join it to the Pi's Wi-Fi.";
  const parts = [];
  // docs/web-protocol.md, "The status object": a lasting state the shots found, in the camera's words.
  if (cam.condition) parts.push("The camera refuses to shoot: it says \u201c" + cam.conditionMessage + "\u201d.");
  if (typeof cam.offsetMs === "number") {
    // A measurement from before the Pi's clock was stepped compares the camera with the old
    // Pi time: say so rather than let it pass for a current one.
    const measured = toMs(cam.lastMeasured), stepped = pi ? toMs(pi.lastSyncTime) : NaN;
    const stale = measured < stepped && pi && typeof pi.lastOffsetMs === "number" && Math.abs(pi.lastOffsetMs) >= 1000;
    const vs = cam.offsetMs === 0 ? "exactly on the Pi's time" : aheadText(cam.offsetMs).replace(/ ahead$/, " ahead of") + " the Pi";
    parts.push("The camera is " + vs + ", checked " +
      (cam.lastMeasured ? piWhen(cam.lastMeasured) : "–") + (stale ? ", before the Pi's clock was set" : "") + ".");
  }
  if (cam.lastSyncTime) parts.push("Set " + piWhen(cam.lastSyncTime) + ".");
  if (typeof cam.utcOffsetMinutes === "number") {
    const m = cam.utcOffsetMinutes;
    const hm = Math.floor(Math.abs(m) / 60) + (Math.abs(m) % 60 ? ":" + String(Math.abs(m) % 60).padStart(2, "0") : "");
    parts.push("Zone UTC" + (m < 0 ? "-" : "+") + hm + (cam.dst ? ", summer time" : "") + ".");
  }
  if (typeof cam.driftPpm === "number")
    parts.push("Drift " + (cam.driftPpm >= 0 ? "+" : "") + cam.driftPpm.toFixed(1) + " ppm (" +
      durationText(Math.abs(cam.driftPpm) * 86.4) + " a day).");
  if (cam.syncDeferred) parts.push("It will be set when the timelapse ends.");
  return parts.join(" ");
}

function show(s) {
  const pi = s.pi || {};
  setText("pisync", piLine(s.pi));
  setText("pizone", pi.timezone || "–");
  setText("pi-detail", piDetail(s));
  // docs/web-protocol.md, "The status object": webd's own words while it saves power.
  const power = $("pi-power");
  power.textContent = pi.powerSavingText || "";
  power.hidden = !pi.powerSaving;
  showCard("pi", piState(s.pi));
  setText("camsync", camLine(s.camera));
  setText("cam-detail", camDetail(s.camera, s.pi));
  showCard("cam", camState(s.camera, s.thresholdMs));
  setText("tlstatus", timelapseLine(s.timelapse));
}

// The Pi's clock, redrawn 4 times a second.
function tick() {
  const ms = piNow();
  if (Number.isNaN(ms)) return;
  const zone = piZone();
  setDateTime("pitime", dateText(ms, zone), clockText(ms, zone));
}

export function init() {
  onStatus(show);
  setInterval(tick, 250);
  // Keep "checked 19:08" and "trusted until" right as the day goes on.
  setInterval(() => status && show(status), 30000);
}

// Timelapse page (the intervalometer): start one with a title, interval, stop condition and
// location; follow its progress live; stop it.
"use strict";

import { api } from "../rest.js";
import { $, setText } from "../dom.js";
import { clockText, durationText, toMs, toWallTime, whenText } from "../format.js";
import { onStatus, piZone, status } from "../state.js";
import { isOpen, on, send } from "../socket.js";

let visible = false;
// The location this device gave (geolocation), and what webd would put in the next report.
let browserLocation = null;
let serverLocation = null;
// The planned number of shots of timelapse `id`, from its report.
let planned = { id: null, shots: 0 };
let lastSeen = "";

const round5 = (v) => Number(v).toFixed(5);

function locationFromPosition(p) {
  const c = p.coords;
  return { latitude: c.latitude, longitude: c.longitude, accuracy: c.accuracy,
           altitude: c.altitude, timestamp: p.timestamp };
}

// The typed latitude/longitude: {latitude, longitude}, null when both are empty, or an error text.
function typedLocation() {
  const a = $("tl-lat").value.trim().replace(",", "."), b = $("tl-lon").value.trim().replace(",", ".");
  if (!a && !b) return null;
  const lat = Number(a), lon = Number(b);
  if (!a || !b || !Number.isFinite(lat) || !Number.isFinite(lon)) return "Type both a latitude and a longitude, as decimal degrees.";
  if (lat < -90 || lat > 90) return "The latitude must be between -90 and 90.";
  if (lon < -180 || lon > 180) return "The longitude must be between -180 and 180.";
  return { latitude: lat, longitude: lon };
}

function showLocation() {
  const typed = typedLocation();
  let text;
  if (typeof typed === "string") text = typed;
  else if (typed) text = round5(typed.latitude) + ", " + round5(typed.longitude) + " (typed)";
  else if (browserLocation) {
    const l = browserLocation;
    text = round5(l.latitude) + ", " + round5(l.longitude) + " (" +
      (typeof l.accuracy === "number" ? "±" + Math.round(l.accuracy) + " m, " : "") + "from this device)";
  } else if (serverLocation && typeof serverLocation.latitude === "number") {
    const l = serverLocation;
    text = round5(l.latitude) + ", " + round5(l.longitude) + " (" +
      (typeof l.accuracy === "number" ? "±" + Math.round(l.accuracy) + " m, " : "") + "from a device)";
  } else text = "no location";
  setText("tl-location", text);
}

// Geolocation, only on a secure page. reply(location or {error}).
function locate(reply) {
  if (!window.isSecureContext || !navigator.geolocation) {
    reply({ error: window.isSecureContext ? "no geolocation in this browser" : "insecure page" });
    return;
  }
  navigator.geolocation.getCurrentPosition(
    (p) => {
      browserLocation = locationFromPosition(p);
      showLocation();
      reply(browserLocation);
    },
    (e) => reply({ error: e.message || "location not available" }),
    { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 });
}

function onLocationRequest(m) {
  const requestId = m.requestId ?? (m.data && m.data.requestId);
  locate((l) => send("location-response", { requestId, ...l }));
}

function showProgress(tl) {
  const bar = $("tl-progress-bar");
  const stop = $("tl-stop-button");
  if (!tl || !tl.state) {
    setText("tl-progress-text", "The Pi did not say whether a timelapse runs.");
    bar.hidden = true;
    stop.disabled = true;
    return;
  }
  const running = tl.state === "running";
  const shots = tl.id && planned.id === tl.id ? planned.shots : 0;
  if (tl.state === "idle") {
    setText("tl-progress-text", "idle" + (tl.id && planned.id === tl.id && planned.title !== undefined
      ? " (last: " + (planned.title || tl.id) + ", " + (tl.shotsTaken ?? 0) + " taken, " + (tl.shotsFailed ?? 0) + " failed)"
      : ""));
  } else {
    const next = tl.nextShotTime ? ", next at " + clockText(toMs(tl.nextShotTime), piZone()) : "";
    setText("tl-progress-text", tl.state + ": " + (tl.shotsTaken ?? 0) + (shots ? " of " + shots : "") +
      " taken, " + (tl.shotsFailed ?? 0) + " failed" + next);
  }
  bar.hidden = !(shots > 0 && tl.state !== "idle");
  if (shots > 0) {
    bar.max = shots;
    bar.value = Math.min(shots, (tl.shotsTaken ?? 0) + (tl.shotsFailed ?? 0));
  }
  stop.disabled = !running;
  $("tl-start").disabled = tl.state !== "idle";
}

// GET /api/timelapse: the planned shots of the current timelapse and the next location.
async function load() {
  try {
    const t = await api("GET", "/api/timelapse", undefined, "Reading the timelapse");
    serverLocation = t.location || null;
    const r = t.report;
    if (t.id && r) planned = { id: t.id, shots: (r.shots && r.shots.planned) || 0, title: r.title || "" };
    showLocation();
    showProgress(status ? status.timelapse : t);
  } catch (e) {
    // Shown as a notice by api().
  }
}

function summary() {
  const interval = Number($("tl-interval").value);
  const stopBy = $("tl-stop").value;
  let text = "";
  if (!(interval >= 0.5)) text = "The interval must be at least 0.5 s.";
  else if (stopBy === "shots") {
    const n = Number($("tl-shots").value);
    if (Number.isInteger(n) && n > 0) text = n + " shots every " + interval + " s: about " +
      durationText(Math.max(0, n - 1) * interval * 1000) + ", ending around " +
      clockText(Date.now() + (n - 1) * interval * 1000, undefined, false) + ".";
  } else if (stopBy === "time") {
    const end = new Date($("tl-end").value).getTime();
    if (end > Date.now()) text = "About " + Math.floor((end - Date.now()) / (interval * 1000) + 1) +
      " shots, one every " + interval + " s, until " + whenText(end) + ".";
  } else text = "One shot every " + interval + " s until you press Stop timelapse.";
  setText("tl-summary", text);
}

function showStopFields() {
  const stopBy = $("tl-stop").value;
  $("tl-shots-field").hidden = stopBy !== "shots";
  $("tl-end-field").hidden = stopBy !== "time";
  if (stopBy === "time" && !$("tl-end").value) $("tl-end").value = toWallTime(Date.now() + 3600000);
  summary();
}

async function start(ev) {
  ev.preventDefault();
  const result = $("tl-result");
  const interval = Number($("tl-interval").value);
  if (!(interval >= 0.5 && interval <= 86400)) {
    result.textContent = "The interval must be between 0.5 s and one day.";
    return;
  }
  const body = { intervalMs: Math.round(interval * 1000), title: $("tl-title").value.trim() };
  const stopBy = $("tl-stop").value;
  if (stopBy === "shots") {
    const n = Number($("tl-shots").value);
    if (!Number.isInteger(n) || n < 1) {
      result.textContent = "Shots must be a whole number, 1 or more.";
      return;
    }
    body.shots = n;
  } else if (stopBy === "time") {
    const end = new Date($("tl-end").value).getTime();
    if (!(end > Date.now())) {
      result.textContent = "The end time must be in the future.";
      return;
    }
    body.endTime = new Date(end).toISOString();
  }
  const typed = typedLocation();
  if (typeof typed === "string") {
    result.textContent = typed;
    return;
  }
  if (typed) body.location = { ...typed, source: "manual" };
  else if (browserLocation) body.location = { ...browserLocation, source: "browser" };

  $("tl-start").disabled = true;
  result.textContent = "Starting…";
  try {
    const t = await api("POST", "/api/timelapse", body, "Starting the timelapse");
    if (t && t.id) planned = { id: t.id, shots: body.shots || 0, title: body.title };
    result.textContent = "Started" + (t && t.id ? " (" + t.id + ")" : "") + ".";
    showProgress(status && status.timelapse && status.timelapse.id === t.id ? status.timelapse : t);
  } catch (e) {
    result.textContent = "Not started: " + e.message;
    $("tl-start").disabled = false;
  }
}

async function stopTimelapse() {
  const button = $("tl-stop-button");
  button.disabled = true;
  try {
    await api("DELETE", "/api/timelapse", undefined, "Stopping the timelapse");
    setText("tl-result", "Stopping after the shot in progress.");
  } catch (e) {
    button.disabled = !(status && status.timelapse && status.timelapse.state === "running");
  }
}

export function init() {
  on("location-request", onLocationRequest);
  // A reconnection while the page is open counts as opening it again
  // (docs/sync-policy.md, rule 6).
  on("welcome", () => visible && send("intervalometer-opened", {}));
  onStatus((s) => {
    const tl = s.timelapse;
    const seen = tl ? tl.state + "/" + tl.id : "";
    // A timelapse that started or ended elsewhere: read its plan.
    if (visible && seen !== lastSeen && tl && tl.id && planned.id !== tl.id) load();
    lastSeen = seen;
    if (visible) showProgress(tl);
  });
  $("tl-form").addEventListener("submit", start);
  $("tl-stop-button").addEventListener("click", stopTimelapse);
  $("tl-stop").addEventListener("change", showStopFields);
  for (const id of ["tl-interval", "tl-shots", "tl-end"]) $(id).addEventListener("input", summary);
  for (const id of ["tl-lat", "tl-lon"]) $(id).addEventListener("input", showLocation);
  $("tl-locate").addEventListener("click", () => locate((l) => {
    if (l.error) setText("tl-location", "no location: " + l.error);
  }));

  $("tl-locate").hidden = !window.isSecureContext || !navigator.geolocation;
  secureLink(null);
}

// The link to the same page over HTTPS, on the port webd says (welcome's httpsPort); without
// one the Pi serves no HTTPS page and only a typed location is offered.
export function secureLink(port) {
  $("tl-secure").hidden = location.protocol !== "http:" || !port;
  $("tl-https").href = "https://" + location.hostname + (port === 443 ? "" : ":" + port) + "/#/timelapse";
}

export function enter() {
  visible = true;
  if (isOpen()) send("intervalometer-opened", {});
  showStopFields();
  showLocation();
  if (status) showProgress(status.timelapse);
  load();
}

export function leave() {
  visible = false;
}

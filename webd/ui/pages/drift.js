// Drift page: the camera's offset history as an inline SVG chart, with error bars and the
// fitted drift line; the Pi's own drift against true time (GET /api/pi/drift), and the camera's
// against true time once both are known (docs/web-protocol.md, "GET /api/pi/drift").
"use strict";

import { api } from "../rest.js";
import { $, setText } from "../dom.js";
import { clockText, dateText, durationText, toMs, whenText, zoneOffsetMs } from "../format.js";
import { onStatus, piNow, piZone, status } from "../state.js";

const REFRESH_MS = 30000;
const SVG = "http://www.w3.org/2000/svg";
// The chart's own coordinates (the viewBox); it is scaled to the page's width.
const W = 340, H = 240;
const PAD = { left: 50, right: 10, top: 12, bottom: 44 };
let timer = 0;

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, typeof v === "number" ? String(Math.round(v * 10) / 10) : v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// Round tick values between lo and hi: steps of 1, 2 or 5 × 10^n.
function ticks(lo, hi, count) {
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

const SEC = 1000, MIN = 60000, HOUR_MS = 3600000;
const TIME_STEPS = [5 * SEC, 10 * SEC, 15 * SEC, 30 * SEC, MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN,
  HOUR_MS, 2 * HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS, 24 * HOUR_MS, 2 * 24 * HOUR_MS, 7 * 24 * HOUR_MS];
// The x-axis spans at least this much, so that a few measurements a second apart do not
// fill the chart's whole width.
const MIN_SPAN_MS = MIN;

function timeTicks(lo, hi, zone) {
  const step = TIME_STEPS.find((s) => (hi - lo) / s <= 4) || TIME_STEPS[TIME_STEPS.length - 1];
  // Whole steps of the Pi's wall-clock time, so that labels read 18:00, 18:30, …
  const zoneShift = zoneOffsetMs(lo, zone);
  const out = [];
  for (let t = Math.ceil((lo + zoneShift) / step) * step - zoneShift; t <= hi; t += step) out.push(t);
  return { step, values: out };
}

// The fitted line's intercept for slope ppm: the weighted mean of offset − slope·time
// (weights 1/bound², bounds under 1 ms count as 1 ms, as camerad fits it).
function fitLine(points, ppm) {
  const k = ppm * 1e-6;
  let sw = 0, s = 0;
  for (const p of points) {
    const w = 1 / Math.pow(Math.max(p.u || 0, 1), 2);
    sw += w;
    s += w * (p.y - k * (p.t - points[0].t));
  }
  const b = s / sw;
  return (t) => b + k * (t - points[0].t);
}

const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");

function message(chart, text, label) {
  chart.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis-label" }, text));
  chart.setAttribute("aria-label", label);
}

function draw(data) {
  const chart = $("drift-chart");
  chart.replaceChildren();
  const all = (Array.isArray(data.samples) ? data.samples : [])
    .map((s) => ({ t: toMs(s.time), y: s.offsetMs, u: typeof s.uncertaintyMs === "number" ? s.uncertaintyMs : 0 }))
    .filter((p) => Number.isFinite(p.t) && typeof p.y === "number" && Number.isFinite(p.y))
    .sort((a, b) => a.t - b.t);
  const ppm = typeof data.driftPpm === "number" && Number.isFinite(data.driftPpm) ? data.driftPpm : null;
  const zone = piZone();

  setText("drift-ppm", ppm === null ? "not enough history yet" : (ppm >= 0 ? "+" : "") + ppm.toFixed(1) + " ppm");
  setText("drift-words", ppm === null
    ? "The drift needs at least 3 measurements over 10 minutes or more since the camera was last set."
    : "The camera " + (ppm >= 0 ? "gains " : "loses ") + durationText(Math.abs(ppm) * 86.4) + " a day against the Pi.");

  // Only the measurements since the camera was last set: the older ones are of a clock that
  // has been changed since (and the fit leaves them out too).
  const cam = status && status.camera;
  const setAt = cam && cam.lastSyncTime ? toMs(cam.lastSyncTime) : NaN;
  const points = Number.isFinite(setAt) ? all.filter((p) => p.t >= setAt) : all;
  const hidden = all.length - points.length;
  const setWhen = Number.isFinite(setAt) ? whenText(setAt, zone, piNow()) : "";
  const older = hidden ? " (" + hidden + " older, from before, not shown)" : "";

  if (all.length === 0) {
    message(chart, "No measurements yet", "No measurements of the camera yet");
    setText("drift-summary", "");
    return;
  }
  if (points.length === 0) {
    message(chart, "No measurements since the camera was set", "No measurements of the camera since it was set");
    setText("drift-summary", "The camera was set at " + setWhen + "; it has not been measured since" + older + ".");
    return;
  }
  const fit = ppm === null ? null : fitLine(points, ppm);

  // The x-axis spans the data, at least MIN_SPAN_MS, with a little room at both ends.
  const first = points[0].t, lastT = points[points.length - 1].t;
  let t0 = first, t1 = lastT;
  if (t1 - t0 < MIN_SPAN_MS) { const mid = (t0 + t1) / 2; t0 = mid - MIN_SPAN_MS / 2; t1 = mid + MIN_SPAN_MS / 2; }
  const span = t1 - t0;
  t0 -= span * 0.04; t1 += span * 0.04;

  let y0 = Infinity, y1 = -Infinity;
  for (const p of points) { y0 = Math.min(y0, p.y - p.u); y1 = Math.max(y1, p.y + p.u); }
  if (fit) for (const t of [first, lastT]) { y0 = Math.min(y0, fit(t)); y1 = Math.max(y1, fit(t)); }
  // Large offsets in seconds, so that the labels stay short.
  const inSeconds = Math.max(Math.abs(y0), Math.abs(y1)) >= 10000;
  const unit = inSeconds ? 1000 : 1;
  if (y1 - y0 < 2 * unit) { const mid = (y0 + y1) / 2; y0 = mid - unit; y1 = mid + unit; }
  const pad = (y1 - y0) * 0.08;
  y0 -= pad; y1 += pad;

  const px = (t) => PAD.left + (t - t0) / (t1 - t0) * (W - PAD.left - PAD.right);
  const py = (y) => H - PAD.bottom - (y - y0) / (y1 - y0) * (H - PAD.top - PAD.bottom);
  const bottom = H - PAD.bottom, right = W - PAD.right;

  const grid = svg("g", { class: "grid" });
  for (const v of ticks(y0 / unit, y1 / unit, 4)) {
    const y = py(v * unit);
    grid.append(svg("line", { x1: PAD.left, x2: right, y1: y, y2: y, class: v === 0 ? "zero" : "gridline" }));
    grid.append(svg("text", { x: PAD.left - 5, y: y + 4, "text-anchor": "end", class: "tick" },
      String(Math.round(v * 1000) / 1000)));
  }
  const tt = timeTicks(t0, t1, zone);
  const days = tt.step >= 24 * HOUR_MS, secs = tt.step < MIN;
  for (const t of tt.values) {
    const x = px(t);
    grid.append(svg("line", { x1: x, x2: x, y1: PAD.top, y2: bottom, class: "gridline" }));
    grid.append(svg("text", { x, y: bottom + 16, "text-anchor": "middle", class: "tick" },
      days ? dateText(t, zone).slice(5) : clockText(t, zone, secs)));
  }
  grid.append(svg("line", { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: bottom, class: "axis" }));
  grid.append(svg("line", { x1: PAD.left, x2: right, y1: bottom, y2: bottom, class: "axis" }));
  grid.append(svg("text", { x: (PAD.left + right) / 2, y: H - 6, "text-anchor": "middle", class: "axis-label" },
    "Pi time (" + (days ? "month-day" : secs ? "hh:mm:ss" : "hh:mm") + ")"));
  grid.append(svg("text", { x: 12, y: (PAD.top + bottom) / 2, "text-anchor": "middle", class: "axis-label",
    transform: "rotate(-90 12 " + Math.round((PAD.top + bottom) / 2) + ")" },
    "camera − Pi (" + (inSeconds ? "s" : "ms") + ")"));
  chart.append(grid);

  // The fitted line only where there is data to fit.
  if (fit && lastT > first)
    chart.append(svg("line", { x1: px(first), y1: py(fit(first)), x2: px(lastT), y2: py(fit(lastT)), class: "fit" }));
  const marks = svg("g", { class: "samples" });
  for (const p of points) {
    const x = px(p.t);
    marks.append(svg("line", { x1: x, x2: x, y1: py(p.y - p.u), y2: py(p.y + p.u), class: "bound" }));
    const c = svg("circle", { cx: x, cy: py(p.y), r: 3.5, class: "sample" });
    c.append(svg("title", {}, clockText(p.t, zone) + ": " + p.y.toFixed(3) + " ms ± " + p.u.toFixed(3) + " ms"));
    marks.append(c);
  }
  chart.append(marks);

  const last = points[points.length - 1];
  const summary = plural(points.length, "measurement") +
    (points.length > 1 ? " over " + durationText(lastT - first) : "") +
    (Number.isFinite(setAt) ? " since the camera was set at " + setWhen : "") + older +
    ". Last, at " + clockText(last.t, zone) + ": camera " + (last.y >= 0 ? "+" : "-") + durationText(last.y) +
    " ± " + durationText(last.u) + ".";
  setText("drift-summary", summary);
  chart.setAttribute("aria-label", "Camera offset over time. " + summary);
}

const finite = (v) => typeof v === "number" && Number.isFinite(v);
const ppmText = (ppm, sigma) => (ppm >= 0 ? "+" : "") + ppm.toFixed(1) + (finite(sigma) ? " ± " + sigma.toFixed(1) : "") + " ppm";
const perDay = (ppm, sigma) => durationText(Math.abs(ppm) * 86.4) + " a day" +
  (finite(sigma) ? " (± " + durationText(sigma * 86.4) + ")" : "");

// The Pi against true time, and the camera against true time: its drift against the Pi plus
// the Pi's own, the uncertainties combined as independent errors.
function drawTrue(pi, camera) {
  const known = pi && finite(pi.driftPpm);
  if (!pi) {
    setText("pi-drift-ppm", "not available");
    setText("pi-drift-words", "The clock service does not answer.");
  } else if (!known) {
    setText("pi-drift-ppm", "not known yet");
    setText("pi-drift-words", "The Pi's drift needs at least 3 syncs (from a phone, by hand or from NTP) over 10 minutes or more since it booted; " +
      (pi.driftPoints === 1 ? "1 so far." : (pi.driftPoints || 0) + " so far."));
  } else {
    setText("pi-drift-ppm", ppmText(pi.driftPpm, pi.driftUncertaintyPpm));
    setText("pi-drift-words", "The Pi clock " + (pi.driftPpm >= 0 ? "gains " : "loses ") + perDay(pi.driftPpm, pi.driftUncertaintyPpm) +
      " against true time, from " + plural(pi.driftPoints, "sync") + " since it booted." +
      (pi.ntpSynchronized ? " NTP corrects the Pi's clock: this is what remains after its correction." : ""));
  }
  const cam = camera && finite(camera.driftPpm) ? camera : null;
  if (!known || !cam) {
    setText("camera-true-ppm", "not known yet");
    setText("camera-true-words", "Known once both the camera's drift against the Pi and the Pi's drift are known.");
    return;
  }
  const ppm = cam.driftPpm + pi.driftPpm;
  const sigma = finite(cam.driftUncertaintyPpm) && finite(pi.driftUncertaintyPpm)
    ? Math.sqrt(cam.driftUncertaintyPpm ** 2 + pi.driftUncertaintyPpm ** 2) : null;
  setText("camera-true-ppm", ppmText(ppm, sigma));
  setText("camera-true-words", "The camera " + (ppm >= 0 ? "gains " : "loses ") + perDay(ppm, sigma) +
    " against true time: its drift against the Pi plus the Pi's own drift.");
}

// The last data drawn, and the camera's last set time it was drawn with: a set seen later
// (or the status arriving after the data) redraws it without asking webd again.
let shown = null, shownSetAt = null, watching = false;
const setTime = () => (status && status.camera ? status.camera.lastSyncTime ?? null : null);

function show(data) {
  shown = data;
  shownSetAt = setTime();
  draw(data);
}

async function refresh() {
  const [pi, camera] = await Promise.allSettled([
    api("GET", "/api/pi/drift", undefined, "Reading the Pi's drift"),
    api("GET", "/api/camera/drift", undefined, "Reading the camera's drift")]);
  drawTrue(pi.status === "fulfilled" ? pi.value : null, camera.status === "fulfilled" ? camera.value : null);
  try {
    if (camera.status === "rejected") throw camera.reason;
    show(camera.value);
  } catch (e) {
    shown = null;
    $("drift-chart").replaceChildren(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis-label" },
      e.code === "no-camera" ? "No camera connected" : "No data"));
    setText("drift-ppm", e.code === "no-camera" ? "no camera" : "not available");
    setText("drift-words", e.message);
    setText("drift-summary", "");
  }
}

export function enter() {
  if (!watching) {
    watching = true;
    onStatus(() => {
      if (timer && shown && setTime() !== shownSetAt) show(shown);
    });
  }
  shown = null;
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
}

export function leave() {
  clearInterval(timer);
  timer = 0;
}

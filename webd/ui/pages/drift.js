// Drift page: the camera's offset history as an inline SVG chart, with error bars and the
// fitted drift line.
"use strict";

import { api } from "../rest.js";
import { $, setText } from "../dom.js";
import { clockText, dateText, durationText, toMs } from "../format.js";
import { status } from "../state.js";

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

const MIN = 60000, HOUR_MS = 3600000;
const TIME_STEPS = [MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR_MS, 2 * HOUR_MS, 3 * HOUR_MS,
  6 * HOUR_MS, 12 * HOUR_MS, 24 * HOUR_MS, 2 * 24 * HOUR_MS, 7 * 24 * HOUR_MS];

function timeTicks(lo, hi) {
  const step = TIME_STEPS.find((s) => (hi - lo) / s <= 4) || TIME_STEPS[TIME_STEPS.length - 1];
  // Whole steps of local time, so that labels read 18:00, 18:30, …
  const zoneShift = -new Date(lo).getTimezoneOffset() * MIN;
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

function draw(data) {
  const chart = $("drift-chart");
  chart.replaceChildren();
  const points = (Array.isArray(data.samples) ? data.samples : [])
    .map((s) => ({ t: toMs(s.time), y: s.offsetMs, u: typeof s.uncertaintyMs === "number" ? s.uncertaintyMs : 0 }))
    .filter((p) => Number.isFinite(p.t) && typeof p.y === "number" && Number.isFinite(p.y));
  const ppm = typeof data.driftPpm === "number" && Number.isFinite(data.driftPpm) ? data.driftPpm : null;

  setText("drift-ppm", ppm === null ? "not enough history yet" : (ppm >= 0 ? "+" : "") + ppm.toFixed(1) + " ppm");
  setText("drift-words", ppm === null
    ? "The drift needs at least 3 measurements over 10 minutes or more since the camera was last set."
    : "The camera " + (ppm >= 0 ? "gains " : "loses ") + durationText(Math.abs(ppm) * 86.4) + " a day against the Pi.");

  if (points.length === 0) {
    chart.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis-label" }, "No measurements yet"));
    chart.setAttribute("aria-label", "No measurements of the camera yet");
    setText("drift-summary", "");
    return;
  }

  // The fit covers the measurements since the camera was last set.
  const cam = status && status.camera;
  const setAt = cam && cam.lastSyncTime ? toMs(cam.lastSyncTime) : NaN;
  const since = points.filter((p) => !(p.t < setAt));
  const fitPoints = since.length >= 2 ? since : points;
  const fit = ppm === null ? null : fitLine(fitPoints, ppm);

  let t0 = points[0].t, t1 = points[points.length - 1].t;
  for (const p of points) { t0 = Math.min(t0, p.t); t1 = Math.max(t1, p.t); }
  if (t1 - t0 < 10 * MIN) { const mid = (t0 + t1) / 2; t0 = mid - 5 * MIN; t1 = mid + 5 * MIN; }
  const span = t1 - t0;
  t0 -= span * 0.03; t1 += span * 0.03;

  let y0 = Infinity, y1 = -Infinity;
  for (const p of points) { y0 = Math.min(y0, p.y - p.u); y1 = Math.max(y1, p.y + p.u); }
  if (fit) for (const t of [fitPoints[0].t, t1]) { y0 = Math.min(y0, fit(t)); y1 = Math.max(y1, fit(t)); }
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
  const tt = timeTicks(t0, t1);
  for (const t of tt.values) {
    const x = px(t);
    grid.append(svg("line", { x1: x, x2: x, y1: PAD.top, y2: bottom, class: "gridline" }));
    grid.append(svg("text", { x, y: bottom + 16, "text-anchor": "middle", class: "tick" },
      tt.step >= 24 * HOUR_MS ? dateText(t).slice(5) : clockText(t, undefined, false)));
  }
  grid.append(svg("line", { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: bottom, class: "axis" }));
  grid.append(svg("line", { x1: PAD.left, x2: right, y1: bottom, y2: bottom, class: "axis" }));
  grid.append(svg("text", { x: (PAD.left + right) / 2, y: H - 6, "text-anchor": "middle", class: "axis-label" },
    "time (" + (tt.step >= 24 * HOUR_MS ? "month-day" : "hh:mm") + ", this device)"));
  grid.append(svg("text", { x: 12, y: (PAD.top + bottom) / 2, "text-anchor": "middle", class: "axis-label",
    transform: "rotate(-90 12 " + Math.round((PAD.top + bottom) / 2) + ")" },
    "camera − Pi (" + (inSeconds ? "s" : "ms") + ")"));
  chart.append(grid);

  if (fit) {
    const ta = fitPoints[0].t;
    chart.append(svg("line", { x1: px(ta), y1: py(fit(ta)), x2: px(t1), y2: py(fit(t1)), class: "fit" }));
  }
  const marks = svg("g", { class: "samples" });
  for (const p of points) {
    const x = px(p.t);
    marks.append(svg("line", { x1: x, x2: x, y1: py(p.y - p.u), y2: py(p.y + p.u), class: "bound" }));
    const c = svg("circle", { cx: x, cy: py(p.y), r: 3.5, class: "sample" });
    c.append(svg("title", {}, clockText(p.t) + ": " + p.y.toFixed(3) + " ms ± " + p.u.toFixed(3) + " ms"));
    marks.append(c);
  }
  chart.append(marks);

  const last = points[points.length - 1];
  const summary = points.length + " measurement" + (points.length === 1 ? "" : "s") +
    (points.length > 1 ? " over " + durationText(points[points.length - 1].t - points[0].t) : "") +
    ". Last, at " + clockText(last.t) + ": camera " + (last.y >= 0 ? "+" : "-") + durationText(last.y) +
    " ± " + durationText(last.u) + ".";
  setText("drift-summary", summary);
  chart.setAttribute("aria-label", "Camera offset over time. " + summary);
}

async function refresh() {
  try {
    draw(await api("GET", "/api/camera/drift", undefined, "Reading the camera's drift"));
  } catch (e) {
    $("drift-chart").replaceChildren(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis-label" },
      e.code === "no-camera" ? "No camera connected" : "No data"));
    setText("drift-ppm", e.code === "no-camera" ? "no camera" : "not available");
    setText("drift-words", e.message);
    setText("drift-summary", "");
  }
}

export function enter() {
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
}

export function leave() {
  clearInterval(timer);
}

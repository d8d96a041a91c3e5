// Reports: the list of timelapse reports, and one report with every field camerad wrote
// (docs/org.picamsync.Camera1.md, "Reports").
"use strict";

import { api } from "../rest.js";
import { $, el, setText } from "../dom.js";
import { durationText } from "../format.js";
import { piWhen } from "../state.js";

const dash = "–";
const has = (v) => v !== null && v !== undefined && v !== "";
const text = (v) => (has(v) ? String(v) : dash);

// An ISO 8601 time in parts: "2026-11-21T21:18:20.5+01:00" → {date, time, frac, zone}.
function isoParts(iso) {
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d)?)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/.exec(typeof iso === "string" ? iso : "");
  if (!m) return null;
  const zone = !m[4] ? "" : m[4] === "Z" || /^[+-]00:?00$/.test(m[4]) ? "UTC" : "UTC" + m[4];
  return { date: m[1], time: m[2], frac: m[3] || "", zone };
}

// A report time {usec, utc, local}: the local date and time with its offset, as camerad wrote
// it in the report's zone, and under it, smaller, the UTC time (to the millisecond). Dates,
// times and offsets never break inside.
function timeValue(t) {
  if (!has(t)) return dash;
  const localIso = typeof t === "object" ? t.local : t;
  const utcIso = typeof t === "object" ? t.utc : null;
  const local = isoParts(localIso), utc = isoParts(utcIso);
  const main = local || utc;
  if (!main) return el("span", { class: "any" }, text(localIso ?? utcIso));
  const box = el("span", { class: "when" },
    el("span", { class: "nw" }, main.date), " ", el("span", { class: "nw" }, main.time + (local ? "" : main.frac)),
    main.zone ? " " : null, main.zone ? el("span", { class: "nw off" }, main.zone) : null);
  if (local && utc)
    box.append(el("span", { class: "utc" }, (utc.date === local.date ? "" : utc.date + " ") + utc.time + utc.frac + " UTC"));
  return box;
}

// The local time of a report time alone ("21:18:20"), with its date when not on day.
function shortTime(t, day) {
  const p = isoParts(has(t) && typeof t === "object" ? t.local ?? t.utc : t);
  if (!p) return text(has(t) && typeof t === "object" ? t.local ?? t.utc : t);
  return (p.date === day ? "" : p.date + " ") + p.time;
}

// An id or address that may wrap after its separators ("/", "-", "?", "&", "_", ","), and
// anywhere when even that is not enough.
function breakable(v) {
  if (!has(v)) return dash;
  const out = el("span", { class: "any" });
  for (const piece of String(v).split(/(?<=[/\-?&_,])(?!\/)/)) {
    if (out.firstChild) out.append(el("wbr"));
    out.append(piece);
  }
  return out;
}

const usecText = (us) => (typeof us === "number" ? durationText(us / 1000) : dash);
const signedUsec = (us) => (typeof us === "number" ? (us < 0 ? "-" : "+") + durationText(us / 1000) : dash);

function rows(pairs) {
  const dl = el("dl", { class: "fields" });
  for (const [name, value] of pairs) dl.append(el("dt", null, name), el("dd", null, value));
  return dl;
}

function section(title, ...content) {
  return el("section", { class: "card" }, el("h3", null, title), ...content);
}

const KNOWN = new Set(["version", "id", "title", "state", "zone", "start", "end", "plannedEnd", "intervalMs",
  "intervalUSec", "shots", "camera", "location", "timeSync"]);

function render(r) {
  const shots = r.shots || {};
  const cam = r.camera || {};
  const loc = r.location;
  const ts = r.timeSync || {};
  const tpi = ts.pi;
  const tcam = ts.camera;
  const interval = typeof r.intervalMs === "number" ? r.intervalMs : (typeof r.intervalUSec === "number" ? r.intervalUSec / 1000 : null);

  const day = isoParts(r.start && r.start.local)?.date;
  const errors = Array.isArray(shots.errors) ? shots.errors : [];
  const errorList = errors.length ? el("ol", { class: "errors" }, ...errors.map((e) =>
    el("li", null, "Shot " + text(e && e.index) + ", " + shortTime(e && e.at, day) + ": " + text(e && e.error)))) : null;

  const out = [
    section("When",
      rows([["Start", timeValue(r.start)], ["End", timeValue(r.end)],
            ["Planned end", timeValue(r.plannedEnd)], ["Zone", text(r.zone)]])),
    section("Shots",
      rows([["Interval", interval === null ? dash : interval / 1000 + " s"],
            ["Planned", shots.planned === 0 ? "until stopped" : text(shots.planned)],
            ["Taken", text(shots.taken)], ["Failed", text(shots.failed)],
            ["Errors", errors.length ? String(errors.length) + (shots.errorsOmitted ? " shown, " + shots.errorsOmitted + " more not kept" : "") : "none"]]),
      errorList),
    section("Camera",
      rows([["Model", text(cam.model)], ["Manufacturer", text(cam.manufacturer)], ["Serial number", text(cam.serial)],
            ["Id", breakable(cam.id)], ["Address", breakable(cam.url)]])),
    section("Location", loc ? rows([
      ["Latitude", text(loc.latitude)], ["Longitude", text(loc.longitude)],
      ["Accuracy", typeof loc.accuracy === "number" ? "±" + Math.round(loc.accuracy) + " m" : dash],
      ["Altitude", typeof loc.altitude === "number" ? Math.round(loc.altitude) + " m" : dash],
      ["From", loc.source === "browser" ? "a phone's location (browser)" : loc.source === "manual" ? "typed by hand" : text(loc.source)],
      ["Obtained", timeValue(loc.obtainedAt)]]) : el("p", null, "No location was given.")),
    section("Time sync at the start",
      el("h4", null, "Pi"),
      tpi ? rows([["Reliability", text(tpi.reliability)], ["Last synced from", text(tpi.source)],
                  ["Last synced", timeValue(tpi.lastSync)], ["Zone", text(tpi.zone)]])
        : el("p", null, "The clock service did not answer."),
      el("h4", null, "Camera"),
      tcam ? rows([["Offset (camera − Pi)", signedUsec(tcam.offsetUSec)], ["Error bound", "±" + usecText(tcam.offsetBoundUSec)],
                   ["Measured", timeValue(tcam.measuredAt)],
                   ["Drift", typeof tcam.driftPpm === "number" ? tcam.driftPpm.toFixed(1) + " ppm" : "not known"]])
        : el("p", null, "The camera had not been measured."),
      rows([["Camera set waited for the end", ts.cameraSetDeferred ? "yes" : "no"]])),
    section("Report", rows([["Id", breakable(r.id)], ["State", text(r.state)], ["Format version", text(r.version)]])),
  ];
  const extra = Object.keys(r).filter((k) => !KNOWN.has(k));
  if (extra.length)
    out.push(section("Other fields", rows(extra.map((k) =>
      [k, breakable(typeof r[k] === "object" ? JSON.stringify(r[k]) : text(r[k]))]))));
  return out;
}

export const list = {
  async enter() {
    setText("reports-empty", "Loading…");
    try {
      const data = await api("GET", "/api/reports", undefined, "Reading the reports");
      const reports = Array.isArray(data.reports) ? data.reports : [];
      $("reports-list").replaceChildren(...reports.map((r) => el("li", null,
        el("a", { href: "#/reports/" + encodeURIComponent(r.id) }, r.title || r.id),
        el("span", { class: "detail" }, piWhen(r.start) + (r.end ? " – " + piWhen(r.end) : r.end === null ? " (running or cut short)" : "") +
          " · " + text(r.shotsTaken) + " taken, " + text(r.shotsFailed) + " failed"))));
      setText("reports-empty", reports.length ? "" : "No reports yet: each timelapse makes one.");
    } catch (e) {
      setText("reports-empty", "The reports could not be read: " + e.message);
    }
  },
};

export const view = {
  async enter(id) {
    const path = "/api/reports/" + encodeURIComponent(id);
    $("report-json").href = path + "?download=1";
    $("report-print").href = path + "?format=html";
    setText("report-title", id || "Report");
    $("report-body").replaceChildren(el("p", null, "Loading…"));
    try {
      const r = await api("GET", path, undefined, "Reading report " + id);
      setText("report-title", r.title || r.id || id);
      $("report-body").replaceChildren(...render(r));
    } catch (e) {
      $("report-body").replaceChildren(el("p", null, "This report could not be read: " + e.message));
    }
  },
};

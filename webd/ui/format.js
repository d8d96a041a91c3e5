// How times, offsets and clock states are written on the pages: one definition of each.
"use strict";

const formatters = new Map();

// The calendar fields of instant ms in zone (the device's zone when zone is empty or unknown).
function fields(ms, zone) {
  const key = zone || "";
  let f = formatters.get(key);
  if (!f) {
    const opts = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
                   minute: "2-digit", second: "2-digit", hourCycle: "h23" };
    try {
      f = new Intl.DateTimeFormat("en-GB", zone ? { ...opts, timeZone: zone } : opts);
    } catch (e) {
      f = new Intl.DateTimeFormat("en-GB", opts);
    }
    formatters.set(key, f);
  }
  const o = {};
  for (const p of f.formatToParts(ms)) o[p.type] = p.value;
  if (o.hour === "24") o.hour = "00";
  return o;
}

export function isZone(zone) {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
    return true;
  } catch (e) {
    return false;
  }
}

const valid = (ms) => typeof ms === "number" && Number.isFinite(ms);

// "2026-11-21"
export function dateText(ms, zone) {
  if (!valid(ms)) return "–";
  const f = fields(ms, zone);
  return f.year + "-" + f.month + "-" + f.day;
}

// "19:08:19" (or "19:08" without seconds)
export function clockText(ms, zone, seconds = true) {
  if (!valid(ms)) return "–";
  const f = fields(ms, zone);
  return f.hour + ":" + f.minute + (seconds ? ":" + f.second : "");
}

// "2026-11-21 19:08:19"
export const dateTimeText = (ms, zone) => valid(ms) ? dateText(ms, zone) + " " + clockText(ms, zone) : "–";

// A wire time (ISO string or epoch ms) as epoch ms, or NaN.
export function toMs(t) {
  if (typeof t === "number") return t;
  if (typeof t === "string") return Date.parse(t);
  return NaN;
}

// When something happened, briefly: "19:08:19" today, "2026-11-20 19:08" another day, in zone
// (the device's when empty); "today" is the day of nowMs (this device's clock by default; the
// Pi's for Pi times, as the two may differ by hours).
export function whenText(t, zone, nowMs) {
  const ms = toMs(t);
  if (!valid(ms)) return "–";
  const today = dateText(valid(nowMs) ? nowMs : Date.now(), zone) === dateText(ms, zone);
  return today ? clockText(ms, zone) : dateText(ms, zone) + " " + clockText(ms, zone, false);
}

// A length of time in the unit that reads best: "0.4 ms", "12.3 ms", "1.23 s", "4 min 3 s".
export function durationText(ms) {
  if (!valid(ms)) return "–";
  const a = Math.abs(ms);
  if (a < 10) return a.toFixed(1) + " ms";
  if (a < 1000) return Math.round(a) + " ms";
  if (a < 10000) return (a / 1000).toFixed(2) + " s";
  if (a < 60000) return (a / 1000).toFixed(1) + " s";
  const s = Math.round(a / 1000);
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
}

// "+0.004 s" / "-1.250 s"
export function signedSeconds(ms) {
  if (!valid(ms)) return "–";
  const s = Math.abs(ms / 1000).toFixed(3);
  return (ms < 0 && s !== "0.000" ? "-" : "+") + s + " s";
}

// "4.00 s ahead" / "12 ms behind" / "exactly right"
export function aheadText(ms) {
  if (!valid(ms)) return "–";
  if (ms === 0) return "exactly right";
  return durationText(ms) + (ms > 0 ? " ahead" : " behind");
}

export const SOURCE_WORDS = {
  "client-ap": "a phone on the Pi's Wi-Fi",
  "client-lan": "a device on the home network",
  manual: "Sync now or a typed time",
  camera: "the camera",
  ntp: "the internet (NTP)",
  external: "another program",
};

// The seed design's TimeSync lines.
export function piLine(pi) {
  if (!pi) return "–";
  return (pi.reliable ? "reliable" : "not reliable") + " (" + (pi.reliability || "none") +
    (pi.source ? ", from " + pi.source : "") + ")";
}

// "EOS R50", or "EOS R50 “Lake”" when the body has a nickname of its own (not just its model
// without spaces, which is what a body is called until someone names it).
export function cameraName(cam) {
  const model = (cam && cam.model) || "camera";
  const nick = ((cam && cam.nickname) || "").trim();
  const plain = (s) => s.replace(/\s+/g, "").toLowerCase();
  if (!nick || plain(nick) === plain(model)) return model;
  return model + " \u201c" + nick + "\u201d";
}

export function camLine(cam) {
  if (!cam || !cam.connected) return "no camera";
  const name = cameraName(cam);
  if (!valid(cam.offsetMs)) return name + ": not measured";
  return name + ": " + durationText(cam.offsetMs) + " off" +
    (valid(cam.uncertaintyMs) ? " (±" + durationText(cam.uncertaintyMs) + ")" : "");
}

// {state: "ok" | "warn" | "bad" | "none", word} — the badge of each clock.
export function piState(pi) {
  if (!pi) return { state: "none", word: "waiting" };
  if (pi.reliable && pi.reliability !== "low") return { state: "ok", word: "on time" };
  if (pi.reliable || pi.reliability === "low") return { state: "warn", word: "not confirmed" };
  return { state: "bad", word: "not synced" };
}

// thresholdMs: webd's TIME_SYNC_THRESHOLD (status.thresholdMs): within it the camera is on time.
export function camState(cam, thresholdMs) {
  if (!cam) return { state: "none", word: "waiting" };
  if (!cam.connected) return { state: "none", word: "none" };
  if (!valid(cam.offsetMs)) return { state: "warn", word: "not checked" };
  if (Math.abs(cam.offsetMs) <= (valid(thresholdMs) ? thresholdMs : 1000))
    return cam.syncDeferred ? { state: "warn", word: "set after timelapse" } : { state: "ok", word: "on time" };
  return { state: cam.syncDeferred ? "warn" : "bad", word: durationText(cam.offsetMs) + " off" };
}

// The offset of zone from UTC at instant ms (ms; +3600000 for UTC+1).
export function zoneOffsetMs(ms, zone) {
  if (!valid(ms)) return 0;
  const f = fields(ms, zone);
  return Date.UTC(+f.year, +f.month - 1, +f.day, +f.hour, +f.minute, +f.second) - Math.floor(ms / 1000) * 1000;
}

// The instant at which the wall-clock time "YYYY-MM-DDTHH:MM[:SS]" is read in zone.
export function wallTimeToMs(wall, zone) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?$/.exec(wall || "");
  if (!m) return NaN;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0),
    m[7] ? Math.round(Number("0." + m[7]) * 1000) : 0);
  const zoneOffset = (ms) => zoneOffsetMs(ms, zone);
  // Twice, so that an instant near a summer-time change gets the offset valid at that instant.
  let ms = asUtc - zoneOffset(asUtc);
  ms = asUtc - zoneOffset(ms);
  return ms;
}

// The value a datetime-local input shows for instant ms in the device's zone.
export function toWallTime(ms) {
  return dateText(ms) + "T" + clockText(ms);
}

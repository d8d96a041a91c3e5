// The app: header, navigation between the pages, and what every page shares
// (connection, notices, "Sync now", night mode).
"use strict";

import { $, notify, setText } from "./dom.js";
import { aheadText, camState, piState } from "./format.js";
import { notePiTime, onStatus, setStatus } from "./state.js";
import { connect, deviceZone, now, on, send } from "./socket.js";
import * as statusPage from "./pages/status.js";
import * as timePage from "./pages/time.js";
import * as logPage from "./pages/log.js";
import * as driftPage from "./pages/drift.js";
import * as timelapsePage from "./pages/timelapse.js";
import * as reportsPage from "./pages/reports.js";

// Route name → [section id, module, nav link].
const pages = {
  status: ["page-status", statusPage, "status"],
  time: ["page-time", timePage, "time"],
  log: ["page-log", logPage, "log"],
  drift: ["page-drift", driftPage, "drift"],
  timelapse: ["page-timelapse", timelapsePage, "timelapse"],
  reports: ["page-reports", reportsPage.list, "reports"],
  report: ["page-report", reportsPage.view, "reports"],
};
let current = null;

function route() {
  const path = location.hash.replace(/^#\/?/, "");
  let [name, ...rest] = path.split("/");
  let arg = rest.join("/");
  if (name === "reports" && arg) name = "report";
  if (!pages[name]) name = "status";
  try {
    arg = decodeURIComponent(arg);
  } catch (e) {
    arg = "";
  }
  if (current && current.leave) current.leave();
  for (const [key, [id]] of Object.entries(pages)) $(id).hidden = key !== name;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.getAttribute("href") === "#/" + pages[name][2]) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  current = pages[name][1];
  if (current.enter) current.enter(arg);
  window.scrollTo(0, 0);
}

// ---- night mode ----

function setNight(on) {
  document.body.classList.toggle("night", on);
  $("night").setAttribute("aria-pressed", on ? "true" : "false");
  try {
    localStorage.setItem("picamsync.night", on ? "1" : "0");
  } catch (e) {
    // Not kept, but switched for this page.
  }
}

// ---- "Sync now" (docs/sync-policy.md, rule 7), on the status and time pages ----

let syncTimer = 0;

function syncBusy(busy, text) {
  for (const b of document.querySelectorAll("[data-action=sync-now]")) b.disabled = busy;
  if (text !== undefined) for (const p of document.querySelectorAll(".sync-result")) p.textContent = text;
}

function syncNow() {
  if (!send("manual-time-sync", { clientTime: now(), timezone: deviceZone })) {
    notify("Sync now failed: this page is not connected to the Pi. It reconnects by itself; try again then.");
    return;
  }
  syncBusy(true, "Syncing…");
  clearTimeout(syncTimer);
  syncTimer = setTimeout(() => syncBusy(false, "No answer from the Pi yet."), 20000);
}

function syncResult(m) {
  const d = m.data || {};
  clearTimeout(syncTimer);
  let text;
  if (d.success) {
    // offsetMs is this device minus the Pi before the sync.
    const pi = aheadText(-d.offsetMs);
    text = d.stepped ? "Synced (the Pi was " + pi + "; it is set now)."
      : "Synced (the Pi was already right: " + pi + ").";
    logPage.addLocal(text, "success");
  } else {
    text = "Sync failed: " + (d.error || "no reason given") + ".";
    logPage.addLocal(text, "error");
    notify(text);
  }
  syncBusy(false, text);
}

// ---- header ----

function showChip(id, label, s) {
  const chip = $(id);
  chip.dataset.state = s.state;
  chip.lastElementChild.textContent = s.word;
  chip.setAttribute("aria-label", label + ": " + s.word);
}

function init() {
  $("night").setAttribute("aria-pressed", document.body.classList.contains("night") ? "true" : "false");
  $("night").addEventListener("click", () => setNight(!document.body.classList.contains("night")));
  for (const b of document.querySelectorAll("[data-action=sync-now]")) b.addEventListener("click", syncNow);

  on("open", () => {
    setText("conn", "connected");
    $("conn").dataset.state = "ok";
  });
  on("close", () => {
    setText("conn", "disconnected, retrying…");
    $("conn").dataset.state = "bad";
    syncBusy(false);
  });
  on("welcome", (m, received) => {
    const d = m.data || {};
    setText("conn", "connected (" + (d.interface || "?") + ")");
    timelapsePage.secureLink(Number.isInteger(d.httpsPort) ? d.httpsPort : null);
    if (d.status) {
      if (d.status.pi) notePiTime(Date.parse(d.status.pi.time), received, received);
      setStatus({ ...d.status, autoSync: d.autoSync ?? d.status.autoSync });
    }
  });
  on("time-sync-status", (m, received) => {
    if (m.data && m.data.pi) notePiTime(Date.parse(m.data.pi.time), received, received);
    setStatus(m.data);
  });
  // Every request carries the Pi's time when it was sent: a fresh estimate of its clock.
  on("time-sync-request", (m, received) => notePiTime(m.serverTime, received, received));
  on("manual-time-sync-result", syncResult);
  on("warning", (m) => notify((m.data && m.data.message) || "The Pi sent a warning without words.", "warning"));
  on("error", (m) => {
    const d = m.data || {};
    notify("The Pi refused a message from this page: " + (d.message || d.code || "no reason given"));
  });
  on("event", (m) => {
    const d = m.data || {};
    if (m.eventType === "camera-sync" && d.success === false)
      notify("Setting the camera failed: " + (d.error || "no reason given"));
    else if (m.eventType === "sync-failed")
      notify((d.target === "camera" ? "Checking the camera" : "Checking the Pi's clock") + " failed: " +
        (d.reason || "no reason given"));
  });

  onStatus((s) => {
    showChip("chip-pi", "Pi", piState(s.pi));
    showChip("chip-cam", "Camera", camState(s.camera, s.thresholdMs));
  });

  for (const [, mod] of Object.entries(pages)) if (mod[1].init) mod[1].init();
  window.addEventListener("hashchange", route);
  route();
  connect();
}

init();

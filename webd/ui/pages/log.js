// Log page: webd's activity log, newest first, plus what this page itself was told.
"use strict";

import { $, el } from "../dom.js";
import { toMs } from "../format.js";
import { piNow, piWhen } from "../state.js";
import { on } from "../socket.js";

const MAX_ENTRIES = 300;
const LEVEL_WORDS = { warning: "Warning", error: "Error" };
let replaceNext = false;

function add(timestamp, message, level) {
  const list = $("log");
  const ms = toMs(timestamp);
  const time = el("time", Number.isNaN(ms) ? null : { datetime: new Date(ms).toISOString() }, piWhen(ms));
  const label = LEVEL_WORDS[level] ? el("b", null, LEVEL_WORDS[level] + ": ") : null;
  list.prepend(el("li", { class: level || "info" }, time, " ", label, message || ""));
  while (list.children.length > MAX_ENTRIES) list.lastElementChild.remove();
}

// An entry made by this page (the answer to its "Sync now"), at the Pi's time like the others.
export function addLocal(message, level) {
  const pi = piNow();
  add(Number.isNaN(pi) ? Date.now() : pi, message, level);
}

export function init() {
  // A new connection starts with every retained entry: they replace what the page showed.
  on("welcome", () => {
    replaceNext = true;
  });
  on("activity_log", (m) => {
    const entries = (m.data && Array.isArray(m.data.entries)) ? m.data.entries : [];
    if (replaceNext) {
      $("log").replaceChildren();
      replaceNext = false;
    }
    for (const e of entries) if (e && typeof e === "object") add(e.timestamp, String(e.message ?? ""), e.level);
  });
}

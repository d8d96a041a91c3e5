// Small DOM helpers and the notices under the header. Server text only ever goes in as text.
"use strict";

export const $ = (id) => document.getElementById(id);

// el("p", {class: "x"}, "text", child, …): strings become text nodes, never markup.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  }
  return e;
}

export function setText(id, text) {
  const e = $(id);
  if (e && e.textContent !== text) e.textContent = text;
}

// Element id shows date (small) and time (large): "2026-11-21 19:08:19" as text.
export function setDateTime(id, date, time) {
  const box = $(id);
  if (!box.firstElementChild) {
    box.replaceChildren(el("span", { class: "date" }), " ", el("span", { class: "time" }));
  }
  if (box.firstElementChild.textContent !== date) box.firstElementChild.textContent = date;
  if (box.lastElementChild.textContent !== time) box.lastElementChild.textContent = time;
}

const MAX_NOTICES = 5;

// A notice stays until dismissed; the same text again moves it to the top with a count
// (the same element, so that a Dismiss in flight still finds it).
export function notify(message, level) {
  const box = $("notices");
  for (const old of box.querySelectorAll(".notice")) {
    if (old.dataset.message === message) {
      const count = Number(old.dataset.count) + 1;
      old.dataset.count = String(count);
      old.firstElementChild.textContent = message + " (×" + count + ")";
      box.prepend(old);
      return;
    }
  }
  const dismiss = el("button", { type: "button", class: "small" }, "Dismiss");
  const n = el("div", { class: "notice " + (level || "error"), role: "alert" }, el("p", null, message), dismiss);
  n.dataset.message = message;
  n.dataset.count = "1";
  dismiss.addEventListener("click", () => n.remove());
  box.prepend(n);
  while (box.children.length > MAX_NOTICES) box.lastElementChild.remove();
}

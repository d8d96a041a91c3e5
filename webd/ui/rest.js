// REST calls to webd. A failure is shown as a notice and thrown, with webd's words.
"use strict";

import { notify } from "./dom.js";

// what: the action in words ("Starting the timelapse"), for the notice.
export async function api(method, path, body, what) {
  const opts = { method, headers: { Accept: "application/json" }, cache: "no-store" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    const err = new Error("the Pi did not answer; is this device still on its Wi-Fi?");
    notify((what || method + " " + path) + " failed: " + err.message);
    throw err;
  }
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  if (!res.ok) {
    const e = data && data.error;
    const err = new Error(e && e.message ? e.message : "the Pi answered HTTP " + res.status + ".");
    err.code = e && e.code;
    err.status = res.status;
    notify((what || method + " " + path) + " failed: " + err.message);
    throw err;
  }
  return data;
}

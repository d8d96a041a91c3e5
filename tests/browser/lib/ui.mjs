// SPDX-License-Identifier: LGPL-2.1-or-later
// What the browser tests share: a fresh testbed and browser per test, waiting for the page.

import { openPage } from "./browser.mjs";
import { startTestbed } from "./testbed.mjs";

export { pngPixels, pngSize } from "./png.mjs";

export const HOUR = 3600 * 1000;
// How close the Pi must end up to the browser's clock after a sync.
export const SYNC_TOLERANCE_MS = 10;

// Runs fn({ bed, browser, context, page, problems }) on a fresh testbed (tools/testbed started
// with testbedArgs) and a fresh browser (openPage's options); on failure, the error carries
// the daemons' logs. Both are stopped whatever happens.
export async function withPage(testbedArgs, pageOptions, fn) {
        const bed = await startTestbed(testbedArgs);
        let browser = null;
        let opened = null;
        try {
                opened = await openPage(bed, pageOptions);
                browser = opened.browser;
                await fn({ bed, ...opened });
        } catch (e) {
                if (opened) {
                        e.message += `\n\npage's WebSockets:\n${opened.wsEvents.join("\n") || "none"}`;
                        e.message += `\nproblems so far:\n${opened.problems.join("\n") || "none"}`;
                }
                e.message += `\n\ntestbed: ${bed.http}\n${bed.logs()}`;
                throw e;
        } finally {
                if (browser) await browser.close();
                await bed.stop();
        }
}

// Polls fn until it returns something truthy, which it returns; throws after timeoutMs.
export async function waitFor(what, timeoutMs, fn) {
        const end = Date.now() + timeoutMs;
        for (;;) {
                const v = await fn();
                if (v) return v;
                if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
                await new Promise((r) => setTimeout(r, 50));
        }
}

export const text = (page, id) => page.locator(`#${id}`).textContent();

// The page is connected and shows a status (the WebSocket's welcome arrived).
export async function waitConnected(page) {
        try {
                await waitFor("the page to connect to webd", 20000, async () =>
                        (await text(page, "conn")).startsWith("connected ("));
        } catch (e) {
                e.message += ` (#conn says "${await text(page, "conn")}")`;
                throw e;
        }
        await waitFor("the Pi's status on the page", 20000, async () => (await text(page, "pisync")) !== "–");
}

export async function waitReliable(page) {
        await waitFor("the page to show the Pi reliable", 20000, async () =>
                (await text(page, "pisync")).startsWith("reliable ("));
}

// The pages of the UI: hash route, section id, the name of its link in the nav (the
// one report's page has none).
export const PAGES = [
        { name: "status", route: "#/status", section: "page-status", link: "Status" },
        { name: "time", route: "#/time", section: "page-time", link: "Time" },
        { name: "log", route: "#/log", section: "page-log", link: "Log" },
        { name: "drift", route: "#/drift", section: "page-drift", link: "Drift" },
        { name: "timelapse", route: "#/timelapse", section: "page-timelapse", link: "Timelapse" },
        { name: "reports", route: "#/reports", section: "page-reports", link: "Reports" },
];

// Opens one of PAGES through its link in the nav and waits until its section is the one shown.
export async function openNav(page, p) {
        await page.getByRole("navigation").getByRole("link", { name: p.link, exact: true }).click();
        await waitShown(page, p.section);
}

// Waits until section id is visible and every other page section is hidden.
export async function waitShown(page, section) {
        await waitFor(`#${section} to be the page shown`, 20000, () => page.evaluate((id) => {
                const all = [...document.querySelectorAll("section[id^=page-]")];
                const me = document.getElementById(id);
                return !!me && me.checkVisibility() &&
                        all.every((s) => s === me || !s.checkVisibility());
        }, section));
}

// webd's REST API, asked by the page (fetch, same origin): the browser is in the phone's
// namespace, this process is not (and must not send to its addresses). Resolves to
// { status, json (null when the body is not JSON), text }.
export function api(page, method, urlPath, body) {
        return page.evaluate(async ({ method, urlPath, body }) => {
                const init = { method, headers: {}, cache: "no-store" };
                if (body !== null) {
                        init.headers["Content-Type"] = "application/json";
                        init.body = JSON.stringify(body);
                }
                const r = await fetch(urlPath, init);
                const text = await r.text();
                let json = null;
                try {
                        json = JSON.parse(text);
                } catch {
                        // not JSON (the printable report)
                }
                return { status: r.status, json, text };
        }, { method, urlPath, body: body === undefined ? null : body });
}

// GET urlPath, asserting 200: its JSON.
export async function apiGet(page, urlPath) {
        const r = await api(page, "GET", urlPath);
        if (r.status !== 200) throw new Error(`GET ${urlPath}: HTTP ${r.status} ${r.text}`);
        return r.json;
}

// Waits (GET /api/timelapse) until timelapse id is no longer running: its final state.
export async function waitTimelapseEnd(page, id, timeoutMs = 60000) {
        return waitFor(`timelapse ${id} to end`, timeoutMs, async () => {
                const t = await apiGet(page, "/api/timelapse");
                return t.id === id && t.state === "idle" ? t : null;
        });
}

// The notices shown (server warnings and errors, failed REST calls).
export const notices = (page) => page.locator("#notices .notice[role=alert]");

// What sticks out of the page sideways at the viewport's width: the document's scroll width
// when it scrolls, and visible elements whose box reaches past the right edge (or starts left
// of 0) outside any scrolling container. [] when all is well.
export function sidewaysProblems(page) {
        return page.evaluate(() => {
                const out = [];
                const w = window.innerWidth;
                const sw = document.documentElement.scrollWidth;
                if (sw > w) out.push(`the document is ${sw} px wide on a ${w} px screen`);
                const describe = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
                        (e.classList.length ? "." + [...e.classList].join(".") : "");
                for (const e of document.body.querySelectorAll("*")) {
                        if (!e.checkVisibility({ visibilityProperty: true })) continue;
                        const r = e.getBoundingClientRect();
                        if (r.width === 0 || r.height === 0) continue;
                        if (r.right <= w + 0.5 && r.left >= -0.5) continue;
                        // Put out of sight on purpose (a "skip to content" link, say).
                        if (r.right <= 0) continue;
                        let scroller = false;
                        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
                                const o = getComputedStyle(a).overflowX;
                                if (o === "auto" || o === "scroll") scroller = true;
                        }
                        if (scroller) continue;
                        out.push(`${describe(e)} spans x ${r.left.toFixed(1)}..${r.right.toFixed(1)} ` +
                                `(${JSON.stringify((e.textContent || "").trim().slice(0, 40))})`);
                        if (out.length > 10) break;
                }
                return out;
        });
}

// Night mode may show red light only: green and blue small beside red (or black).
export function nightOk([r, g, b]) {
        const limit = 0.3 * r + 12;
        return g <= limit && b <= limit;
}

// The computed colours of the visible elements (text colour where there is text, background,
// borders, outlines, SVG fill and stroke) that break nightOk: [] when all is well.
export async function nightColourProblems(page) {
        const found = await page.evaluate(() => {
                const canvas = new OffscreenCanvas(1, 1);
                const ctx = canvas.getContext("2d", { willReadFrequently: true });
                // Any CSS colour (rgb(), color(srgb …), oklab, …) → [r, g, b, a] over black.
                const rgba = (c) => {
                        ctx.clearRect(0, 0, 1, 1);
                        ctx.fillStyle = "#000";
                        ctx.fillStyle = c;
                        ctx.fillRect(0, 0, 1, 1);
                        return [...ctx.getImageData(0, 0, 1, 1).data];
                };
                const describe = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
                        (e.classList.length ? "." + [...e.classList].join(".") : "");
                const out = [];
                for (const e of document.querySelectorAll("body, body *")) {
                        if (!e.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
                        const r = e.getBoundingClientRect();
                        if (r.width === 0 && r.height === 0) continue;
                        const cs = getComputedStyle(e);
                        const check = (what, c) => {
                                if (!c || c === "none" || c.startsWith("url(")) return;
                                const v = rgba(c);
                                if (v[3] === 0) return;
                                out.push({ el: describe(e), what, css: c, rgb: v.slice(0, 3) });
                        };
                        const hasText = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) ||
                                ["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(e.tagName);
                        if (hasText) check("color", cs.color);
                        check("background-color", cs.backgroundColor);
                        for (const side of ["top", "right", "bottom", "left"]) {
                                if (cs[`border-${side}-style`] !== "none" && parseFloat(cs[`border-${side}-width`]) > 0)
                                        check(`border-${side}-color`, cs[`border-${side}-color`]);
                        }
                        if (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0)
                                check("outline-color", cs.outlineColor);
                        if (e instanceof SVGElement && e.tagName !== "svg") {
                                check("fill", cs.fill);
                                check("stroke", cs.stroke);
                        }
                }
                return out;
        });
        return found.filter((f) => !nightOk(f.rgb))
                .map((f) => `${f.el} ${f.what} ${f.css}`);
}

// Pixels of a screenshot that break nightOk: { count, first: [x, y, [r, g, b]] … (up to 5),
// box: the smallest rectangle around them }.
export function nightPixelProblems(img) {
        let count = 0;
        const first = [];
        const box = { x0: Infinity, y0: Infinity, x1: -1, y1: -1 };
        for (let y = 0; y < img.height; y++) {
                for (let x = 0; x < img.width; x++) {
                        const p = img.pixel(x, y);
                        if (nightOk(p)) continue;
                        count++;
                        if (first.length < 5) first.push([x, y, p]);
                        box.x0 = Math.min(box.x0, x);
                        box.y0 = Math.min(box.y0, y);
                        box.x1 = Math.max(box.x1, x);
                        box.y1 = Math.max(box.y1, y);
                }
        }
        return { count, first, box };
}

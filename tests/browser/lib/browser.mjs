// SPDX-License-Identifier: LGPL-2.1-or-later
// Debian's Chromium, headless, driven by playwright-core (no browser download), kept from
// reaching anything but the testbed: in the phone's network namespace when the testbed has
// one, and with every background service that calls home switched off.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { builddir } from "./testbed.mjs";

let chromium;
try {
        ({ chromium } = await import("playwright-core"));
} catch (e) {
        throw new Error("playwright-core is not installed in tests/browser/node_modules: run " +
                `tools/install-deps (it runs npm ci there). ${e.message}`);
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CHROMIUM = "/usr/bin/chromium";

// Where screenshots go: the meson build directory, kept after the run.
export function artifactsDir() {
        const dir = process.env.PICAMSYNC_BROWSER_ARTIFACTS ||
                path.join(builddir(), "tests", "browser", "artifacts");
        mkdirSync(dir, { recursive: true });
        return dir;
}

function chromiumArgs(host) {
        return [
                // Root in a container: Chromium's sandbox needs user namespaces it cannot have.
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-domain-reliability",
                "--disable-sync",
                "--disable-default-apps",
                "--disable-client-side-phishing-detection",
                "--disable-breakpad",
                "--no-first-run",
                "--no-pings",
                "--no-default-browser-check",
                "--metrics-recording-only",
                "--dns-prefetch-disable",
                "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication," +
                        "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
                // No name resolves; the testbed is reached by its address alone.
                `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${host}`,
        ];
}

// A namespace made a moment ago still has a tentative IPv6 link-local address (duplicate
// address detection takes about 1.5 s). When it turns valid, Chromium takes it for a change of
// network and fails the requests under way with net::ERR_NETWORK_CHANGED (a module of the
// page, say), so the browser starts once the phone's addresses are settled.
async function phoneAddressesSettled(netns) {
        const end = Date.now() + 20000;
        for (;;) {
                const out = execFileSync("ip", ["-n", netns, "address", "show", "tentative"], { encoding: "utf8" });
                if (!out.trim()) return;
                if (Date.now() > end) throw new Error(`the addresses of namespace ${netns} are still tentative:\n${out}`);
                await new Promise((r) => setTimeout(r, 100));
        }
}

// Launches Chromium for a page on testbed bed. Returns { browser, context, page, problems,
// wsEvents }: problems collects console errors, uncaught page errors and failed requests;
// wsEvents what happened to the page's WebSockets (for a failure message).
// options: { clockTime (ms since the epoch: the page's clock starts there and runs),
//            viewport, timezoneId,
//            ignoreHTTPSErrors (for the testbed's HTTPS page: webd's certificate is
//              self-signed),
//            geolocation ({latitude, longitude, accuracy}: the position the page gets),
//            grantGeolocation ("https": the testbed's HTTPS origin may read the position
//              without asking; another string: that origin; true: every origin) }
export async function openPage(bed, options = {}) {
        if (!existsSync(CHROMIUM)) {
                throw new Error(`${CHROMIUM} is missing: install Debian's chromium package ` +
                        "(tools/install-deps does)");
        }
        const host = new URL(bed.http).hostname;
        const launch = { headless: true, args: chromiumArgs(host), timeout: 60000 };
        if (bed.phoneNetns) {
                launch.executablePath = path.join(HERE, "..", "chromium-in-netns");
                launch.env = { ...process.env, PICAMSYNC_BROWSER_NETNS: bed.phoneNetns };
        } else {
                launch.executablePath = CHROMIUM;
        }
        if (bed.phoneNetns) await phoneAddressesSettled(bed.phoneNetns);
        const browser = await chromium.launch(launch);
        const contextOptions = {
                viewport: options.viewport || { width: 360, height: 740 },
                timezoneId: options.timezoneId || "Europe/Berlin",
                serviceWorkers: "block",
        };
        if (options.ignoreHTTPSErrors) contextOptions.ignoreHTTPSErrors = true;
        if (options.geolocation) contextOptions.geolocation = options.geolocation;
        let context;
        try {
                context = await browser.newContext(contextOptions);
                if (options.grantGeolocation === true) {
                        await context.grantPermissions(["geolocation"]);
                } else if (options.grantGeolocation) {
                        const origin = options.grantGeolocation === "https" ? bed.httpsOrigin
                                : options.grantGeolocation;
                        await context.grantPermissions(["geolocation"], { origin });
                }
        } catch (e) {
                await browser.close();
                throw e;
        }
        const page = await context.newPage();
        const problems = [];
        // Chromium asks for /favicon.ico by itself; the page does not name one.
        const ours = (url) => new URL(url).pathname !== "/favicon.ico";
        page.on("console", (m) => {
                if (m.type() === "error" && ours(m.location().url || bed.http))
                        problems.push(`console error: ${m.text()} (${m.location().url})`);
        });
        page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
        page.on("requestfailed", (r) => {
                if (ours(r.url())) problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
        });
        page.on("response", (r) => {
                if (r.status() >= 400 && ours(r.url())) problems.push(`HTTP ${r.status()} for ${r.url()}`);
        });
        // The page's WebSockets, for a failure message (host time, ms).
        const wsEvents = [];
        const stamp = () => new Date().toISOString().slice(11, 23);
        page.on("websocket", (ws) => {
                wsEvents.push(`${stamp()} WebSocket opening ${ws.url()}`);
                ws.on("framereceived", (f) => {
                        if (wsEvents.length < 200 && typeof f.payload === "string" && !f.payload.includes("time-sync"))
                                wsEvents.push(`${stamp()} ← ${f.payload.slice(0, 160)}`);
                });
                ws.on("socketerror", (e) => wsEvents.push(`${stamp()} WebSocket error: ${e}`));
                ws.on("close", () => wsEvents.push(`${stamp()} WebSocket closed`));
        });
        if (options.clockTime !== undefined) await page.clock.install({ time: options.clockTime });
        return { browser, context, page, problems, wsEvents };
}

// The page's clock as the UI reads it (performance.timeOrigin + performance.now()) minus the
// host's real-time clock (Date.now(), which the fake Pi clock's offset is counted from too), in
// ms, with its uncertainty: the best of a few round trips to the page.
export async function pageOffsetMs(page) {
        let best = null;
        for (let i = 0; i < 5; i++) {
                const before = Date.now();
                const t = await page.evaluate(() => performance.timeOrigin + performance.now());
                const after = Date.now();
                // Date.now() counts whole milliseconds: half of one more either way.
                const m = { offsetMs: t - (before + after + 1) / 2,
                            uncertaintyMs: (after + 1 - before) / 2 };
                if (!best || m.uncertaintyMs < best.uncertaintyMs) best = m;
        }
        return best;
}

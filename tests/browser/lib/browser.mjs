// SPDX-License-Identifier: LGPL-2.1-or-later
// Debian's Chromium, headless, driven by playwright-core (no browser download), kept from
// reaching anything but the testbed: in the phone's network namespace when the testbed has
// one, and with every background service that calls home switched off.

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

// Launches Chromium for a page on testbed bed. Returns { browser, context, page, problems }:
// problems collects console errors, uncaught page errors and failed requests.
// options: { clockTime (ms since the epoch: the page's clock starts there and runs),
//            viewport, timezoneId }
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
        const browser = await chromium.launch(launch);
        const context = await browser.newContext({
                viewport: options.viewport || { width: 360, height: 740 },
                timezoneId: options.timezoneId || "Europe/Berlin",
                serviceWorkers: "block",
        });
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
        if (options.clockTime !== undefined) await page.clock.install({ time: options.clockTime });
        return { browser, context, page, problems };
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

// SPDX-License-Identifier: LGPL-2.1-or-later
// A timelapse started from the page gets the page's location into its report: the browser's
// position on the HTTPS page (geolocation, granted and emulated), a typed one on the plain
// HTTP page (which offers the secure page instead).

import assert from "node:assert/strict";
import { test } from "node:test";

import { useNetns } from "./lib/testbed.mjs";
import {
        PAGES, apiGet, openNav, text, waitConnected, waitFor, waitShown, waitTimelapseEnd, withPage,
} from "./lib/ui.mjs";

const LAUSANNE = { latitude: 46.5197, longitude: 6.6323, accuracy: 12 };
const timelapsePage = PAGES.find((p) => p.name === "timelapse");
const reportsPage = PAGES.find((p) => p.name === "reports");

// Fills the timelapse form (shots at intervalS) and clicks Start timelapse: the 201 answer's
// JSON (the GET /api/timelapse object of the new timelapse).
async function startTimelapse(page, { title, intervalS, shots }) {
        await page.getByLabel("Title", { exact: true }).fill(title);
        await page.getByLabel("Interval (s)", { exact: true }).fill(String(intervalS));
        await page.getByLabel("Stop", { exact: true }).selectOption("shots");
        await page.getByLabel("Shots", { exact: true }).fill(String(shots));
        const answer = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/timelapse" &&
                r.request().method() === "POST", { timeout: 30000 });
        await page.getByRole("button", { name: "Start timelapse" }).click();
        const r = await answer;
        const body = await r.text();
        assert.equal(r.status(), 201, `POST /api/timelapse: ${body}`);
        const posted = r.request().postDataJSON();
        return { started: JSON.parse(body), posted };
}

// Runs a timelapse from the page to its end, then checks the page's progress line and the
// report in the list and on its own page. Returns the report (GET /api/reports/{id}).
async function runAndReport(page, { title, intervalS, shots }) {
        const { started, posted } = await startTimelapse(page, { title, intervalS, shots });
        assert.equal(started.state, "running");
        assert.equal(posted.intervalMs, intervalS * 1000, "the page sent another interval");
        assert.equal(posted.shots, shots, "the page sent another number of shots");
        const id = started.id;
        assert.match(id, /^[A-Za-z0-9_-]{1,100}$/);
        const stop = page.getByRole("button", { name: "Stop timelapse" });
        // The progress line follows status.timelapse live; the timelapse takes about
        // (shots − 1) × interval, so "running" is seen unless the page is very late.
        const seen = new Set();
        const end = waitTimelapseEnd(page, id, 90000);
        let ended = null;
        end.then((t) => (ended = t), () => {});
        const stopHandle = await stop.elementHandle();
        await waitFor("the progress line to show the timelapse", 90000, async () => {
                // Read together: the timelapse may end between two reads.
                const { t, stopDisabled } = await stopHandle.evaluate((b) => ({
                        t: document.getElementById("tl-progress").textContent, stopDisabled: b.disabled }));
                seen.add(t);
                if (/running/i.test(t)) assert.equal(stopDisabled, false,
                        `Stop timelapse is disabled while the page says "${t}"`);
                return ended !== null;
        });
        const final = await end;
        assert.equal(final.shotsTaken, shots, `shots taken: ${JSON.stringify(final)}`);
        assert.equal(final.shotsFailed, 0, `shots failed: ${JSON.stringify(final)}`);
        assert.ok([...seen].some((t) => /running/i.test(t)),
                `#tl-progress never showed the timelapse running: ${JSON.stringify([...seen])}`);
        await waitFor("the progress line to show the end", 20000, async () =>
                !/running/i.test(await text(page, "tl-progress")));
        await waitFor("Stop timelapse to be disabled", 20000, async () => !(await stop.isEnabled()));

        const report = await apiGet(page, `/api/reports/${id}`);
        assert.equal(report.id, id);
        assert.equal(report.title, title);
        assert.equal(report.shots.taken, shots);

        // The report in the list, and its page.
        await openNav(page, reportsPage);
        const link = page.locator("#reports-list li").getByRole("link", { name: title, exact: true });
        await waitFor(`the report "${title}" in #reports-list`, 20000, async () => (await link.count()) === 1);
        assert.equal(new URL(await link.getAttribute("href"), page.url()).hash, `#/reports/${id}`);
        await link.click();
        await waitShown(page, "page-report");
        await waitFor("the report's title", 20000, async () => (await text(page, "report-title")).includes(title));
        return { id, report };
}

function assertLocation(loc, want, source) {
        assert.ok(loc, "the report has no location");
        assert.ok(Math.abs(loc.latitude - want.latitude) <= 1e-6, `latitude ${loc.latitude}, want ${want.latitude}`);
        assert.ok(Math.abs(loc.longitude - want.longitude) <= 1e-6,
                `longitude ${loc.longitude}, want ${want.longitude}`);
        assert.equal(loc.source, source);
}

test("HTTPS page: the browser's position goes into the timelapse report", async () => {
        await withPage([], {
                ignoreHTTPSErrors: true,
                geolocation: LAUSANNE,
                // Granted for the secure page's origin alone.
                grantGeolocation: "https",
        }, async ({ bed, page, problems }) => {
                const response = await page.goto(bed.https + "/#/timelapse");
                assert.equal(response.status(), 200);
                assert.equal(await page.evaluate(() => window.isSecureContext), true);
                await waitConnected(page);
                await waitShown(page, timelapsePage.section);
                // webd asks for the location after the page opened its timelapse page.
                await waitFor("#tl-location to show the position", 60000, async () => {
                        const t = await text(page, "tl-location");
                        return t.includes("46.5197") && t.includes("6.6323");
                });
                const where = await text(page, "tl-location");
                assert.match(where, /12 m/, `#tl-location does not give the accuracy: ${where}`);
                const pending = await apiGet(page, "/api/timelapse");
                assertLocation(pending.location, LAUSANNE, "browser");

                const title = "Lake at dusk";
                const { report } = await runAndReport(page, { title, intervalS: 1, shots: 3 });
                assertLocation(report.location, LAUSANNE, "browser");
                assert.equal(report.location.accuracy, 12);
                const body = await text(page, "report-body");
                assert.ok(body.includes("46.5197") && body.includes("6.6323"),
                        `the report's page does not show the location: ${body}`);
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

test("plain HTTP page: a link to the secure page, and a typed location goes into the report", async (t) => {
        if (!useNetns()) {
                // http://127.0.0.1 is a secure context to a browser: no plain page on loopback.
                t.skip("needs the testbed's namespaces (on loopback the HTTP page is a secure context)");
                return;
        }
        await withPage([], {}, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/#/timelapse");
                assert.equal(await page.evaluate(() => window.isSecureContext), false);
                await waitConnected(page);
                await waitShown(page, timelapsePage.section);
                const secure = page.getByRole("link", { name: "Open the secure page" });
                assert.ok(await secure.isVisible(), "no visible 'Open the secure page' link on the HTTP page");
                const href = new URL(await secure.getAttribute("href"), page.url());
                assert.equal(href.protocol, "https:");
                assert.equal(href.hostname, new URL(bed.http).hostname);
                assert.equal(href.hash, "#/timelapse");
                // Under --netns webd listens on the usual ports, so the link is exactly right.
                assert.equal(href.origin, bed.httpsOrigin);
                // The insecure page answers webd's location request with an error.
                await waitFor("#tl-location to say there is no location", 60000,
                        async () => /no location/i.test(await text(page, "tl-location")));

                const typed = { latitude: -33.8568, longitude: 151.2153 };
                await page.getByLabel("Latitude", { exact: true }).fill(String(typed.latitude));
                await page.getByLabel("Longitude", { exact: true }).fill(String(typed.longitude));
                const title = "Harbour";
                const { report } = await runAndReport(page, { title, intervalS: 0.5, shots: 2 });
                assertLocation(report.location, typed, "manual");
                const body = await text(page, "report-body");
                assert.ok(body.includes("33.8568") && body.includes("151.2153"),
                        `the report's page does not show the location: ${body}`);
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

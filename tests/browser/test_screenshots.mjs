// SPDX-License-Identifier: LGPL-2.1-or-later
// Every page on a phone's screen (360×740), with content: a report from a short timelapse and
// a drift chart with points. Screenshots kept as artifacts in the build directory
// (tests/browser/artifacts/page-<name>.png, page-<name>-night.png; page-<name>-full.png is
// the whole page, below the fold too, and page-<name>.txt its text). No page scrolls or sticks
// out sideways, and nothing goes wrong in the page. (Night mode's colours and its persistence
// are test_night_mode.mjs.)

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { artifactsDir } from "./lib/browser.mjs";
import {
        PAGES, api, apiGet, openNav, pngSize, sidewaysProblems, text, waitConnected, waitFor, waitReliable,
        waitShown, waitTimelapseEnd, withPage,
} from "./lib/ui.mjs";

const VIEWPORT = { width: 360, height: 740 };
const TITLE = "Sunrise over the lake";
// The camera measured every second, its drift fitted from 3 measurements whatever their span.
const TESTBED = ["--env", "PICAMSYNC_CAMERA_CHECK_INTERVAL=1000", "--env", "PICAMSYNC_DRIFT_MIN_SPAN=0"];

// What each page shows once it has its content.
const READY = {
        status: async (page) => /^EOS R50: /.test(await text(page, "camsync")) &&
                /^reliable \(/.test(await text(page, "pisync")) && (await text(page, "tlstatus")).trim() !== "",
        time: async (page) => /\d/.test(await text(page, "time-diff")) && /\d/.test(await text(page, "time-pi")),
        log: async (page) => (await page.locator("#log li").count()) > 0,
        drift: async (page) => (await page.locator("#drift-chart circle.sample").count()) >= 3 &&
                (await page.locator("#drift-chart .fit").count()) > 0 && /ppm/.test(await text(page, "drift-ppm")),
        timelapse: async (page) => (await text(page, "tl-location")).trim() !== "" &&
                (await text(page, "tl-progress")).trim() !== "",
        reports: async (page) => (await page.locator("#reports-list li").count()) > 0,
        report: async (page) => (await text(page, "report-title")).includes(TITLE) &&
                (await text(page, "report-body")).includes("46.5197"),
};

// Screenshot of what the phone shows (360×740) and of the whole page, the page's text, and
// what sticks out sideways (pushed to sideways).
async function shoot(page, name, sideways) {
        // No hover or focus ring from the click that got here.
        await page.mouse.move(0, 0);
        await page.evaluate(() => document.activeElement?.blur());
        const dir = artifactsDir();
        const file = path.join(dir, `page-${name}.png`);
        await page.screenshot({ path: file });
        await page.screenshot({ path: path.join(dir, `page-${name}-full.png`), fullPage: true });
        writeFileSync(path.join(dir, `page-${name}.txt`), (await page.locator("body").innerText()) + "\n");
        for (const p of await sidewaysProblems(page)) sideways.push(`${name}: ${p}`);
        return file;
}

test("every page at 360×740, in day and night mode", async () => {
        await withPage(TESTBED, { viewport: VIEWPORT }, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                await waitReliable(page);
                // The camera set from the Pi (it starts 4 s off), so that the pages show the usual.
                await waitFor("the camera set from the Pi", 60000,
                        async () => /^EOS R50: [-+]?[\d.]+ ms off/.test(await text(page, "camsync")));
                // A camera that drifts, for a sloped fit in the chart.
                await bed.simSet({ driftPpm: 100 });

                // A short timelapse, for a report.
                const started = await api(page, "POST", "/api/timelapse", {
                        intervalMs: 500, shots: 2, title: TITLE,
                        location: { latitude: 46.5197, longitude: 6.6323, accuracy: 12, source: "manual" },
                });
                assert.equal(started.status, 201, `POST /api/timelapse: ${started.text}`);
                const id = started.json.id;
                const ended = await waitTimelapseEnd(page, id);
                assert.equal(ended.shotsTaken, 2, JSON.stringify(ended));
                // Then the camera measured a few times (the checks pause while a timelapse runs).
                await waitFor("3 drift samples and a fitted drift", 120000, async () => {
                        const d = await apiGet(page, "/api/camera/drift");
                        return d.samples.length >= 3 && d.driftPpm !== null;
                });

                const shots = [];
                const sideways = [];
                const visit = async (p, suffix = "") => {
                        await openNav(page, p);
                        await waitFor(`the ${p.name} page's content`, 30000, () => READY[p.name](page));
                        shots.push(await shoot(page, p.name + suffix, sideways));
                };

                for (const p of PAGES) await visit(p);
                // One report, from the list.
                await page.locator("#reports-list li").getByRole("link", { name: TITLE, exact: true }).click();
                await waitShown(page, "page-report");
                await waitFor("the report's content", 30000, () => READY.report(page));
                assert.equal(new URL(page.url()).hash, `#/reports/${id}`);
                shots.push(await shoot(page, "report", sideways));

                await page.getByRole("button", { name: "Night mode" }).click();
                assert.ok(await page.evaluate(() => document.body.classList.contains("night")),
                        "the Night mode button did not switch to night mode");
                for (const name of ["status", "timelapse"]) await visit(PAGES.find((p) => p.name === name), "-night");

                for (const f of shots) assert.deepEqual(pngSize(f), VIEWPORT, f);
                assert.equal(shots.length, 9);
                assert.deepEqual(sideways, [], "a page does not fit 360 px");
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

// The longest header texts come before any sync: a Pi hours off that nobody confirmed, a
// camera hours off the Pi. They must still fit a phone's screen.
test("a Pi and a camera hours off still fit 360 px", async () => {
        const args = ["--pi-offset-ms", String(-3 * 3600 * 1000), "--env", "PICAMSYNC_AUTO_SYNC=0"];
        await withPage(args, { viewport: VIEWPORT }, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                await waitFor("the camera measured 3 h off the Pi", 60000,
                        async () => /^EOS R50: 3 h/.test(await text(page, "camsync")));
                const sideways = [];
                for (const p of PAGES.filter((q) => ["status", "time"].includes(q.name))) {
                        await openNav(page, p);
                        await waitFor(`the ${p.name} page's content`, 30000, async () =>
                                p.name === "time" ? /\d/.test(await text(page, "time-diff")) : true);
                        const file = await shoot(page, `${p.name}-unsynced`, sideways);
                        assert.deepEqual(pngSize(file), VIEWPORT, file);
                }
                assert.deepEqual(sideways, [], "a page does not fit 360 px");
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

// SPDX-License-Identifier: LGPL-2.1-or-later
// A Pi hours off follows the clock of the browser that connects on its access point.

import assert from "node:assert/strict";
import { test } from "node:test";

import { pageOffsetMs } from "./lib/browser.mjs";
import { HOUR, SYNC_TOLERANCE_MS, text, waitConnected, waitFor, waitReliable, withPage } from "./lib/ui.mjs";

test("the Pi follows the browser's clock (2 h ahead of the host) to within 10 ms", async () => {
        const chosen = Date.now(); // host time
        const clockTime = chosen + 2 * HOUR;
        await withPage(["--pi-offset-ms", String(-3 * HOUR)], { clockTime }, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                // Playwright's clock must move both clocks the page reads, together.
                const clocks = await page.evaluate(() => ({
                        date: Date.now(),
                        perf: performance.timeOrigin + performance.now(),
                }));
                assert.ok(Math.abs(clocks.perf - clocks.date) < 5,
                        `page clocks disagree: Date ${clocks.date}, timeOrigin+now ${clocks.perf}`);
                // Playwright's clock starts at clockTime when the document is made, not when it
                // is installed: the page's clock is 2 h ahead less the time to launch and load,
                // which is at most the time since clockTime was chosen (seconds, more on a busy
                // machine).
                const start = await pageOffsetMs(page);
                const launch = Date.now() - chosen;
                assert.ok(start.offsetMs <= 2 * HOUR + start.uncertaintyMs &&
                          start.offsetMs >= 2 * HOUR - launch - start.uncertaintyMs,
                        `the page's clock is ${start.offsetMs} ms off the host, not 2 h less at ` +
                        `most the ${launch} ms since its time was chosen`);

                await waitConnected(page);
                await waitReliable(page);
                assert.match(await text(page, "pisync"), /from client-ap\)$/);
                await waitFor("the Pi's zone to follow the browser's", 20000, async () =>
                        (await text(page, "pizone")) === "Europe/Berlin");

                // Reliable comes with the fast first step, which is only as close as its first
                // round (48.6 ms once on a loaded machine); the refining check after it brings the
                // Pi within the tolerance (docs/sync-policy.md, "Fast first step").
                await waitFor("the refining check after the first step", 20000, async () =>
                        /after the first step/.test(await text(page, "log")));
                const pi = bed.piOffsetMs();
                const br = await pageOffsetMs(page);
                const diff = pi - br.offsetMs;
                assert.ok(Math.abs(diff) <= SYNC_TOLERANCE_MS + br.uncertaintyMs,
                        `Pi − browser = ${diff.toFixed(3)} ms (Pi ${pi.toFixed(3)} ms, browser ` +
                        `${br.offsetMs.toFixed(3)} ± ${br.uncertaintyMs} ms from the host)`);
                console.log(`Pi − browser after the sync: ${diff.toFixed(3)} ms ` +
                        `(measured ± ${br.uncertaintyMs} ms)`);
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

// SPDX-License-Identifier: LGPL-2.1-or-later
// The page's "Sync now" button sets the Pi from the browser's clock
// (docs/sync-policy.md, rule 7).

import assert from "node:assert/strict";
import { test } from "node:test";

import { pageOffsetMs } from "./lib/browser.mjs";
import { HOUR, SYNC_TOLERANCE_MS, text, waitConnected, waitFor, waitReliable, withPage } from "./lib/ui.mjs";

test("'Sync now' sets the Pi from the browser's clock", async () => {
        // Automatic sync off: only the button may bring the Pi to the browser's time.
        const clockTime = Date.now() - 1.5 * HOUR;
        const args = ["--pi-offset-ms", String(-3 * HOUR), "--env", "PICAMSYNC_AUTO_SYNC=0"];
        await withPage(args, { clockTime }, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                const before = bed.piOffsetMs() - (await pageOffsetMs(page)).offsetMs;
                assert.ok(Math.abs(before) > 1000,
                        `the Pi is within ${before} ms of the browser before any sync`);
                const button = page.getByRole("button", { name: "Sync now" });
                assert.ok(await button.isVisible(), "the page has no visible 'Sync now' button");

                await button.click();
                await waitFor("the page to report the sync", 20000, async () =>
                        (await page.locator("#log .success", { hasText: "Synced (" }).count()) > 0);
                assert.match(await page.locator("#page-status .sync-result").textContent(), /^Synced \(/,
                        "the result is not shown beside the button");
                const pi = bed.piOffsetMs();
                const br = await pageOffsetMs(page);
                const diff = pi - br.offsetMs;
                assert.ok(Math.abs(diff) <= SYNC_TOLERANCE_MS + br.uncertaintyMs,
                        `after 'Sync now': Pi − browser = ${diff.toFixed(3)} ms (Pi ` +
                        `${pi.toFixed(3)} ms, browser ${br.offsetMs.toFixed(3)} ms from the host)`);
                await waitReliable(page);
                assert.match(await text(page, "pisync"), /from manual\)$/);
                assert.equal(await page.locator("#log .error").count(), 0,
                        "the page logged an error: " + (await text(page, "log")));
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

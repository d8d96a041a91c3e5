// SPDX-License-Identifier: LGPL-2.1-or-later
// While NTP synchronises the Pi, the status page says webd saves power, in the Pi's card; the
// words go the moment NTP is lost (docs/sync-policy.md, "Power saving").

import assert from "node:assert/strict";
import { test } from "node:test";

import { waitConnected, waitFor, withPage } from "./lib/ui.mjs";

const WORDS = "power saving: NTP synchronised";

test("the status page shows power saving while NTP synchronises the Pi, and not after", async () => {
        const args = ["--ntp-synced", "--env", "PICAMSYNC_NTP_CHECK_INTERVAL=200"];
        await withPage(args, {}, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                const power = page.locator("#pi-card #pi-power");
                await waitFor("the power-saving words in the Pi's card", 20000, async () =>
                        (await power.isVisible()) && (await power.textContent()).startsWith(WORDS));
                // A line of the card like the others (the page's own style).
                assert.equal(await power.getAttribute("class"), "line");

                bed.setNtpSynced(false);
                await waitFor("the words to go when NTP is lost", 20000, async () =>
                        !(await power.isVisible()));
                bed.setNtpSynced(true);
                await waitFor("the words to come back with NTP", 20000, async () =>
                        (await power.isVisible()) && (await power.textContent()).startsWith(WORDS));
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

// SPDX-License-Identifier: LGPL-2.1-or-later
// The Drift page shows the Pi's own drift against true time once clockd knows it, in words.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

import { PAGES, openNav, text, waitConnected, waitFor, withPage } from "./lib/ui.mjs";

const DRIFT = PAGES.find((p) => p.name === "drift");
const STATUS = PAGES.find((p) => p.name === "status");

// Clock1 on the testbed's private bus (a Unix socket: nothing goes to the testbed's addresses).
function clock(bed, ...args) {
        return execFileSync("busctl", ["--address=" + bed.info.bus, "call", "org.picamsync.Clock1",
                "/org/picamsync/Clock1", "org.picamsync.Clock1", ...args], { encoding: "utf8" });
}

const boottime = (bed) => BigInt(clock(bed, "GetTime").trim().split(" ")[2]);

test("the Drift page shows the Pi's drift once three syncs are in", async () => {
        await withPage(["--env", "PICAMSYNC_DRIFT_MIN_SPAN=0"], {}, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                await openNav(page, DRIFT);
                await waitFor("the Pi's drift line", 10000, async () => (await text(page, "pi-drift-ppm")) !== "–");

                // Three NTP syncs at least a second of CLOCK_BOOTTIME apart (waited for, not slept).
                let boot = boottime(bed);
                for (let i = 0; i < 3; i++) {
                        if (i) {
                                const after = boot + 1000000n;
                                boot = await waitFor("CLOCK_BOOTTIME to move on", 60000, async () => {
                                        const b = boottime(bed);
                                        return b >= after ? b : 0n;
                                });
                        }
                        clock(bed, "Confirm", "xs", "0", "ntp");
                }
                // The page reads the drift when it is shown: show it again.
                await openNav(page, STATUS);
                await openNav(page, DRIFT);
                const ppm = await waitFor("the Pi's drift", 20000, async () => {
                        const t = await text(page, "pi-drift-ppm");
                        return /^[+-]\d+\.\d ± \d+\.\d ppm$/.test(t) ? t : null;
                });
                const words = await text(page, "pi-drift-words");
                assert.match(words, /^The Pi clock (gains|loses) .* a day \(± .*\) against true time, from \d+ syncs since it booted\.$/,
                        `${ppm}: ${words}`);
                assert.ok((await text(page, "camera-true-ppm")).length > 0);
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

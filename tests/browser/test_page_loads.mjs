// SPDX-License-Identifier: LGPL-2.1-or-later
// The page loads from a simulated Pi and shows its status, with no console errors.

import assert from "node:assert/strict";
import { test } from "node:test";

import { HOUR, text, waitConnected, waitFor, withPage } from "./lib/ui.mjs";

test("the page loads and shows the Pi's status, without console errors", async () => {
        await withPage(["--pi-offset-ms", String(-3 * HOUR)], {}, async ({ bed, page, problems }) => {
                const response = await page.goto(bed.http + "/");
                assert.equal(response.status(), 200, "GET / status");
                assert.equal(await page.title(), "picamsync");
                await waitConnected(page);
                // A phone on the access point (the phone namespace on ap0, or lo on loopback).
                assert.equal(await text(page, "conn"), "connected (ap)");
                assert.match(await text(page, "pisync"), /^(not )?reliable \(/);
                await waitFor("the camera line", 20000, async () =>
                        /^EOS R50: /.test(await text(page, "camsync")));
                // The page redraws the clocks every 250 ms; until the first redraw it shows "–".
                const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
                await waitFor("the Pi time", 5000, async () => isoTime.test(await text(page, "pitime")));
                assert.match(await text(page, "pitime"), isoTime);
                assert.equal(await text(page, "myzone"), "Europe/Berlin");
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

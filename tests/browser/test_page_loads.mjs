// SPDX-License-Identifier: LGPL-2.1-or-later
// The page loads from a simulated Pi and shows its status, with no console errors; every page
// of the app opens from the navigation.

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
                const dateTime = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
                await waitFor("the Pi time", 5000, async () => dateTime.test(await text(page, "pitime")));
                assert.match(await text(page, "pitime"), dateTime);
                assert.match(await text(page, "tlstatus"), /^(idle|running|stopping)/);
                assert.ok(await page.locator("#page-status").isVisible(), "the status page is not shown");

                // Every page opens from the navigation, alone, and is the current one.
                const pages = { Time: "page-time", Log: "page-log", Drift: "page-drift",
                                Timelapse: "page-timelapse", Reports: "page-reports", Status: "page-status" };
                for (const [name, id] of Object.entries(pages)) {
                        const link = page.getByRole("navigation").getByRole("link", { name, exact: true });
                        await link.click();
                        await waitFor(`the ${name} page`, 5000, () => page.locator(`#${id}`).isVisible());
                        assert.equal(await page.locator("main > section:not([hidden])").count(), 1,
                                `more than one page shown with ${name}`);
                        assert.equal(await link.getAttribute("aria-current"), "page", `${name} is not current`);
                }

                // The time page: both clocks, this device's zone and their difference, live.
                await page.getByRole("link", { name: "Time", exact: true }).click();
                await waitFor("the device's time", 5000, async () => dateTime.test(await text(page, "time-device")));
                assert.equal(await text(page, "time-devzone"), "Europe/Berlin");
                assert.equal(await page.locator("#manual-zone").inputValue(), "Europe/Berlin");
                await waitFor("the difference", 5000, async () =>
                        /^[+-]\d+\.\d{3} s$/.test(await text(page, "time-diff")));
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

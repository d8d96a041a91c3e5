// SPDX-License-Identifier: LGPL-2.1-or-later
// The page on a phone's screen (360×740), in day and night mode: screenshots kept as
// artifacts in the build directory (tests/browser/artifacts/).

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { artifactsDir } from "./lib/browser.mjs";
import { pngSize, waitConnected, waitReliable, withPage } from "./lib/ui.mjs";

test("screenshots at 360×740 in day and night mode", async (t) => {
        const viewport = { width: 360, height: 740 };
        await withPage([], { viewport }, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                await waitReliable(page);
                const dir = artifactsDir();
                const day = path.join(dir, "ui-360x740.png");
                await page.screenshot({ path: day });
                await page.getByRole("button", { name: "Night mode" }).click();
                assert.ok(await page.evaluate(() => document.body.classList.contains("night")),
                        "the night mode button did not switch to night mode");
                const night = path.join(dir, "ui-360x740-night.png");
                await page.screenshot({ path: night });
                for (const f of [day, night]) assert.deepEqual(pngSize(f), viewport, f);
                // The text beside the pictures, for whoever reads the artifacts.
                writeFileSync(path.join(dir, "ui-360x740.txt"), (await page.locator("body").innerText()) + "\n");
                assert.deepEqual(problems, [], "the page reported problems");

                await t.test("the page does not scroll sideways on a phone", async () => {
                        const width = await page.evaluate(() => document.documentElement.scrollWidth);
                        assert.ok(width <= viewport.width,
                                `the page is ${width} px wide on a ${viewport.width} px screen`);
                });
        });
});

// SPDX-License-Identifier: LGPL-2.1-or-later
// Night mode: dark red on black, no green or blue light on any page, kept across reloads
// (localStorage "picamsync.night"), applied before the page is first shown.

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";

import { artifactsDir } from "./lib/browser.mjs";
import {
        PAGES, nightColourProblems, nightPixelProblems, openNav, pngPixels, waitConnected, withPage,
} from "./lib/ui.mjs";

const isNight = (page) => page.evaluate(() => document.body.classList.contains("night"));
const nightButton = (page) => page.getByRole("button", { name: "Night mode" });

test("night mode persists across reloads and shows no green or blue light", async () => {
        await withPage([], {}, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                assert.equal(await isNight(page), false, "a first visit starts in night mode");
                assert.equal(await nightButton(page).getAttribute("aria-pressed"), "false");

                await nightButton(page).click();
                assert.equal(await isNight(page), true, "the Night mode button did not set body.night");
                assert.equal(await nightButton(page).getAttribute("aria-pressed"), "true");
                assert.equal(await page.evaluate(() => localStorage.getItem("picamsync.night")), "1");

                // After a reload the page is night before anything is clicked, and already in the
                // first frame drawn with a <body>: the state is noted in the first animation frame
                // (run before each paint) that has one.
                await page.addInitScript(() => {
                        const look = () => {
                                if (document.body) window.__nightAtFirstFrame = document.body.classList.contains("night");
                                else requestAnimationFrame(look);
                        };
                        requestAnimationFrame(look);
                });
                await page.reload();
                await page.waitForFunction(() => window.__nightAtFirstFrame !== undefined, null, { timeout: 20000 });
                assert.equal(await page.evaluate(() => window.__nightAtFirstFrame), true,
                        "the first frame after the reload was drawn in day mode");
                assert.equal(await isNight(page), true, "night mode did not survive the reload");
                assert.equal(await nightButton(page).getAttribute("aria-pressed"), "true",
                        "after the reload the Night mode button does not show pressed");
                await waitConnected(page);

                // Every page in night mode: computed colours, then the pixels themselves (which
                // also catches what the browser draws by itself: form controls, focus rings).
                const bad = [];
                for (const p of PAGES) {
                        await openNav(page, p);
                        // Mouse focus on the nav link must not draw a blue ring either; move it.
                        await page.mouse.move(0, 0);
                        for (const c of await nightColourProblems(page)) bad.push(`${p.name}: ${c}`);
                        const file = path.join(artifactsDir(), `night-check-${p.name}.png`);
                        await page.screenshot({ path: file });
                        const px = nightPixelProblems(pngPixels(file));
                        if (px.count) {
                                bad.push(`${p.name}: ${px.count} pixels with green or blue light in ` +
                                        `x ${px.box.x0}..${px.box.x1}, y ${px.box.y0}..${px.box.y1}, e.g. ` +
                                        px.first.map(([x, y, c]) => `(${x},${y}) rgb(${c})`).join(" "));
                        }
                }
                assert.deepEqual(bad, [], "night mode shows colours that are not dark red on black");

                // Off again: day after a reload.
                await nightButton(page).click();
                assert.equal(await isNight(page), false, "the Night mode button did not switch back");
                assert.equal(await nightButton(page).getAttribute("aria-pressed"), "false");
                assert.equal(await page.evaluate(() => localStorage.getItem("picamsync.night")), "0");
                await page.reload();
                await page.waitForFunction(() => window.__nightAtFirstFrame !== undefined, null, { timeout: 20000 });
                assert.equal(await page.evaluate(() => window.__nightAtFirstFrame), false,
                        "the first frame after the reload was drawn in night mode after it was switched off");
                assert.equal(await isNight(page), false, "day mode did not survive the reload");
                assert.equal(await nightButton(page).getAttribute("aria-pressed"), "false");
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

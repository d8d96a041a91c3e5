// SPDX-License-Identifier: LGPL-2.1-or-later
// A camera that fails shows on the page as a notice (role=alert) that names the problem and
// stays until dismissed; a REST call that fails shows as one too.

import assert from "node:assert/strict";
import { test } from "node:test";

import { api, notices, openNav, PAGES, text, waitConnected, waitFor, waitReliable, withPage } from "./lib/ui.mjs";

// The camera simulator's fault, and the words webd passes on from the camera for it.
const FAULTS = [
        { fault: "bad-request", words: /refused/i },
        { fault: "busy", words: /busy/i },
];

test("a camera fault appears as a notice that Dismiss removes", async () => {
        await withPage([], {}, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                await waitReliable(page);
                await waitFor("the camera line", 30000, async () => /^EOS R50: /.test(await text(page, "camsync")));
                assert.equal(await notices(page).count(), 0,
                        "notices before any fault: " + (await page.locator("#notices").innerText()));

                for (const { fault, words } of FAULTS) {
                        const state = await bed.simSet({ fault });
                        assert.equal(state.fault, fault, "the simulator did not take the fault");
                        // "Sync now" syncs the Pi from this page, then measures (and sets) the camera.
                        await page.getByRole("button", { name: "Sync now" }).click();
                        const notice = notices(page).filter({ hasText: /camera|EOS R50/i }).filter({ hasText: words });
                        await waitFor(`a notice about the camera's fault ${fault}`, 60000,
                                async () => (await notice.count()) > 0);
                        const shown = await notices(page).allInnerTexts();
                        assert.ok(await notice.first().isVisible(), `the notice is not visible: ${shown}`);
                        console.log(`fault ${fault}: ${shown.length} notice(s): ${JSON.stringify(shown)}`);

                        // Dismiss removes the notice it belongs to, one at a time.
                        while ((await notices(page).count()) > 0) {
                                const first = await notices(page).first().elementHandle();
                                const dismiss = await first.$('role=button[name="Dismiss"]');
                                assert.ok(dismiss, `a notice without a Dismiss button: ${await first.innerText()}`);
                                await dismiss.click();
                                await first.waitForElementState("hidden", { timeout: 10000 });
                                assert.equal(await first.evaluate((e) => e.isConnected), false,
                                        "a dismissed notice stays in the document (hidden)");
                        }
                        await bed.simSet({ fault: "none" });
                        // A presence probe that met the fault took the camera for gone (camerad
                        // counts only a 503 as present); the next case needs it back, or its Sync
                        // now would not reach the camera. The next probe finds it.
                        await waitFor("the camera to be connected again", 60000,
                                async () => /^EOS R50: /.test(await text(page, "camsync")));
                }
                // The camera working again: no notice for the next sync, and the camera line says so.
                await page.getByRole("button", { name: "Sync now" }).click();
                await waitFor("the camera line after the fault", 60000,
                        async () => /^EOS R50: [-+]?[\d.]+ ms off/.test(await text(page, "camsync")));
                assert.deepEqual(await notices(page).allInnerTexts(), [],
                        "notices after the camera answered again");

                // The page asks nothing of the camera by itself, so nothing failed in the
                // browser: the faults came over the WebSocket.
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

test("a REST call that fails appears as a notice", async () => {
        await withPage([], {}, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                await openNav(page, PAGES.find((p) => p.name === "time"));
                // A time clockd refuses (outside 2024..2099): webd answers 500 clock-refused.
                await page.locator("#manual-time").fill("2150-01-02T03:04:05");
                await page.locator("#manual-zone").fill("Europe/Berlin");
                const answer = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/system/time" &&
                        r.request().method() === "POST", { timeout: 20000 });
                await page.getByRole("button", { name: "Set Pi time" }).click();
                const r = await answer;
                const body = await r.json();
                assert.equal(r.status(), 500, `webd took a time in 2150: ${JSON.stringify(body)}`);
                assert.equal(body.error.code, "clock-refused");
                const message = body.error.message;
                const notice = notices(page).filter({ hasText: message });
                // The page's own notice of the failed call (webd's warning of the same failure,
                // sent over the WebSocket, may stand beside it).
                await waitFor(`a notice with "${message}"`, 20000, async () => (await notice.count()) >= 1);
                await waitFor("#manual-result to say what went wrong", 20000,
                        async () => (await text(page, "manual-result")).includes(message));
                for (let n = await notice.count(); n > 0; n--) {
                        await notice.first().getByRole("button", { name: "Dismiss" }).click();
                        await waitFor("the dismissed notice to go", 10000, async () => (await notice.count()) === n - 1);
                }
                // The 500 is the one failure (Chromium logs it as a console error too).
                const rest = problems.filter((p) => !/\/api\/system\/time/.test(p));
                assert.deepEqual(rest, [], "the page reported other problems");
                assert.ok(problems.some((p) => /HTTP 500 for .*\/api\/system\/time/.test(p)), problems.join("\n"));
        });
});

test("a camera that refuses to shoot says so on the camera card, also to a page opened later", async () => {
        await withPage([], {}, async ({ bed, page, problems }) => {
                await page.goto(bed.http + "/");
                await waitConnected(page);
                await waitReliable(page);
                await waitFor("the camera line", 30000, async () => /^EOS R50: /.test(await text(page, "camsync")));
                // A full card refuses the shutter only (docs/ccapi-simulator.md, "503 states").
                const state = await bed.simSet({ fault: "card" });
                assert.equal(state.fault, "card", "the simulator did not take the fault");
                const started = await api(page, "POST", "/api/timelapse", { intervalMs: 1000, shots: 30 });
                assert.equal(started.status, 201, started.text);
                const refuses = async () => {
                        const t = await text(page, "cam-detail");
                        return t.includes("refuses to shoot") && t.includes("Can not write to card");
                };
                await waitFor("the camera card to say the camera refuses to shoot", 30000, refuses);
                // A page opened now was not sent the warning: the status object carries the state.
                await page.reload();
                await waitConnected(page);
                await waitFor("the reopened page's camera card to say so", 30000, refuses);
                assert.equal(await notices(page).filter({ hasText: /Can not write to card/ }).count(), 0,
                        "the reopened page got the warning again");
                await bed.simSet({ fault: "none" });
                await waitFor("the camera card to drop the words once frames are taken again", 30000,
                        async () => !(await text(page, "cam-detail")).includes("refuses to shoot"));
                const stopped = await api(page, "DELETE", "/api/timelapse");
                assert.ok(stopped.status === 200 || stopped.status === 202, stopped.text);
                assert.deepEqual(problems, [], "the page reported problems");
        });
});

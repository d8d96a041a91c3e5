// SPDX-License-Identifier: LGPL-2.1-or-later
// What the browser tests share: a fresh testbed and browser per test, waiting for the page.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { openPage } from "./browser.mjs";
import { startTestbed } from "./testbed.mjs";

export const HOUR = 3600 * 1000;
// How close the Pi must end up to the browser's clock after a sync.
export const SYNC_TOLERANCE_MS = 10;

// Runs fn({ bed, browser, context, page, problems }) on a fresh testbed (tools/testbed started
// with testbedArgs) and a fresh browser (openPage's options); on failure, the error carries
// the daemons' logs. Both are stopped whatever happens.
export async function withPage(testbedArgs, pageOptions, fn) {
        const bed = await startTestbed(testbedArgs);
        let browser = null;
        try {
                const opened = await openPage(bed, pageOptions);
                browser = opened.browser;
                await fn({ bed, ...opened });
        } catch (e) {
                e.message += `\n\ntestbed: ${bed.http}\n${bed.logs()}`;
                throw e;
        } finally {
                if (browser) await browser.close();
                await bed.stop();
        }
}

// Polls fn until it returns something truthy, which it returns; throws after timeoutMs.
export async function waitFor(what, timeoutMs, fn) {
        const end = Date.now() + timeoutMs;
        for (;;) {
                const v = await fn();
                if (v) return v;
                if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
                await new Promise((r) => setTimeout(r, 50));
        }
}

export const text = (page, id) => page.locator(`#${id}`).textContent();

// The page is connected and shows a status (the WebSocket's welcome arrived).
export async function waitConnected(page) {
        await waitFor("the page to connect to webd", 20000, async () =>
                (await text(page, "conn")).startsWith("connected ("));
        await waitFor("the Pi's status on the page", 20000, async () => (await text(page, "pisync")) !== "–");
}

export async function waitReliable(page) {
        await waitFor("the page to show the Pi reliable", 20000, async () =>
                (await text(page, "pisync")).startsWith("reliable ("));
}

// Width and height of a PNG file, from its IHDR chunk.
export function pngSize(file) {
        const b = readFileSync(file);
        assert.equal(b.subarray(1, 4).toString("latin1"), "PNG", `${file} is not a PNG`);
        return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

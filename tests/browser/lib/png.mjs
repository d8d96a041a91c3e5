// SPDX-License-Identifier: LGPL-2.1-or-later
// Reads the PNG files Chromium writes for screenshots (8-bit RGB or RGBA, not interlaced), so
// that a test can look at the pixels: e.g. that night mode shows no green or blue light.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";

// Width and height of a PNG file, from its IHDR chunk.
export function pngSize(file) {
        const b = readFileSync(file);
        assert.equal(b.subarray(1, 4).toString("latin1"), "PNG", `${file} is not a PNG`);
        return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

// { width, height, channels, pixel(x, y) → [r, g, b] } of an 8-bit RGB(A) PNG file.
export function pngPixels(file) {
        const b = readFileSync(file);
        assert.equal(b.subarray(1, 4).toString("latin1"), "PNG", `${file} is not a PNG`);
        let pos = 8;
        let width = 0, height = 0, channels = 0;
        const idat = [];
        while (pos < b.length) {
                const len = b.readUInt32BE(pos);
                const type = b.subarray(pos + 4, pos + 8).toString("latin1");
                const data = b.subarray(pos + 8, pos + 8 + len);
                if (type === "IHDR") {
                        width = data.readUInt32BE(0);
                        height = data.readUInt32BE(4);
                        const depth = data[8], colour = data[9], interlace = data[12];
                        assert.ok(depth === 8 && (colour === 2 || colour === 6) && interlace === 0,
                                `${file}: a PNG of depth ${depth}, colour type ${colour}, interlace ` +
                                `${interlace} (only 8-bit RGB/RGBA without interlace is read)`);
                        channels = colour === 6 ? 4 : 3;
                } else if (type === "IDAT") {
                        idat.push(data);
                } else if (type === "IEND") {
                        break;
                }
                pos += 12 + len;
        }
        const raw = inflateSync(Buffer.concat(idat));
        const stride = width * channels;
        const out = Buffer.alloc(stride * height);
        for (let y = 0; y < height; y++) {
                const filter = raw[y * (stride + 1)];
                const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
                const cur = out.subarray(y * stride, (y + 1) * stride);
                const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : null;
                for (let i = 0; i < stride; i++) {
                        const a = i >= channels ? cur[i - channels] : 0;
                        const up = prev ? prev[i] : 0;
                        const c = prev && i >= channels ? prev[i - channels] : 0;
                        let v;
                        switch (filter) {
                        case 0: v = 0; break;
                        case 1: v = a; break;
                        case 2: v = up; break;
                        case 3: v = (a + up) >> 1; break;
                        case 4: {
                                const p = a + up - c;
                                const pa = Math.abs(p - a), pb = Math.abs(p - up), pc = Math.abs(p - c);
                                v = pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
                                break;
                        }
                        default: throw new Error(`${file}: unknown PNG filter ${filter} in row ${y}`);
                        }
                        cur[i] = (line[i] + v) & 0xff;
                }
        }
        return {
                width, height, channels,
                pixel(x, y) {
                        const o = y * stride + x * channels;
                        return [out[o], out[o + 1], out[o + 2]];
                },
        };
}

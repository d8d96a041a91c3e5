// SPDX-License-Identifier: LGPL-2.1-or-later
// A simulated Pi for browser tests: starts tools/testbed (which holds the private bus, the fake
// Pi clock, clockd, the camera simulator, camerad and webd), reads the JSON line that describes
// it, and stops it again. Also reads the fake Pi clock with the fakeclock tool.

import { spawn, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SRCDIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export function builddir() {
        return path.resolve(process.env.PICAMSYNC_BUILDDIR || path.join(SRCDIR, "build"));
}

// Namespaces by default (the browser runs in the phone's namespace, which has no uplink);
// PICAMSYNC_BROWSER_LOOPBACK=1 puts webd and the browser on loopback instead.
export function useNetns() {
        return process.env.PICAMSYNC_BROWSER_LOOPBACK !== "1";
}

const running = new Set();
// A test run that dies must not leave daemons and namespaces behind.
process.on("exit", () => {
        for (const child of running) child.kill("SIGTERM");
});

export class Testbed {
        constructor(child, info, stderr) {
                this.child = child;
                this.info = info;
                this.stderrText = stderr;
        }

        // { http, ws, fakeclock, netns, logs, ... } as tools/testbed prints it.
        get http() {
                return this.info.http;
        }

        // The namespace a phone on the access point lives in (null on loopback).
        get phoneNetns() {
                return this.info.netns ? this.info.netns.namespaces.phone : null;
        }

        // Pi time − host time in milliseconds (a fraction carries the nanoseconds).
        piOffsetMs() {
                const tool = path.join(builddir(), "tests", "harness", "fakeclock", "fakeclock");
                const out = execFileSync(tool, ["get", this.info.fakeclock], { encoding: "utf8" });
                const ns = BigInt(out.trim());
                return Number(ns) / 1e6;
        }

        // The daemons' logs, for a failure message.
        logs() {
                let text = this.stderrText();
                for (const [name, file] of Object.entries(this.info.logs || {})) {
                        try {
                                text += `\n--- ${name} ---\n` + readFileSync(file, "utf8").slice(-4000);
                        } catch {
                                // removed already
                        }
                }
                return text;
        }

        async stop() {
                if (this.child.exitCode !== null || this.child.signalCode !== null) {
                        running.delete(this.child);
                        return;
                }
                const exited = new Promise((resolve) => this.child.once("exit", resolve));
                this.child.kill("SIGTERM");
                const timer = setTimeout(() => this.child.kill("SIGKILL"), 20000);
                await exited;
                clearTimeout(timer);
                running.delete(this.child);
        }
}

// Starts tools/testbed with args (e.g. ["--pi-offset-ms", "-10800000"]) and resolves once it
// printed its JSON line; rejects with its error output when it exits first or takes over 60 s.
export function startTestbed(args = []) {
        const argv = [path.join(SRCDIR, "tools", "testbed"), "--builddir", builddir(), ...args];
        if (useNetns()) argv.push("--netns");
        const child = spawn("/usr/bin/python3", argv, {
                stdio: ["ignore", "pipe", "pipe"],
                env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
        });
        running.add(child);
        let out = "";
        let err = "";
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (d) => (err += d));
        child.stdout.setEncoding("utf8");
        return new Promise((resolve, reject) => {
                const fail = (why) => {
                        clearTimeout(timer);
                        child.kill("SIGTERM");
                        running.delete(child);
                        reject(new Error(`tools/testbed ${why}:\n${err}`));
                };
                const timer = setTimeout(() => fail("printed nothing within 60 s"), 60000);
                child.once("exit", (code, signal) => {
                        if (!out.includes("\n")) fail(`exited (${code ?? signal}) before it was ready`);
                });
                child.stdout.on("data", (d) => {
                        const before = out.includes("\n");
                        out += d;
                        if (before || !out.includes("\n")) return;
                        clearTimeout(timer);
                        let info;
                        try {
                                info = JSON.parse(out.slice(0, out.indexOf("\n")));
                        } catch (e) {
                                fail(`printed a line that is not JSON (${e.message}): ${out}`);
                                return;
                        }
                        resolve(new Testbed(child, info, () => err));
                });
        });
}

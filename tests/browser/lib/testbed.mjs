// SPDX-License-Identifier: LGPL-2.1-or-later
// A simulated Pi for browser tests: starts tools/testbed (which holds the private bus, the fake
// Pi clock, clockd, the camera simulator, camerad and webd), reads the JSON line that describes
// it, and stops it again. Also reads the fake Pi clock with the fakeclock tool.

import { execFile, execFileSync, spawn } from "node:child_process";
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

        // webd's HTTPS URL as the phone sees it (self-signed certificate), e.g.
        // https://192.168.4.1:443, and its origin (https://192.168.4.1).
        get https() {
                return this.info.https;
        }

        get httpsOrigin() {
                return new URL(this.info.https).origin;
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

        // The fake clock says NTP synchronised (true) or not (clockd notices within its
        // PICAMSYNC_NTP_CHECK_INTERVAL).
        setNtpSynced(synced) {
                const tool = path.join(builddir(), "tests", "harness", "fakeclock", "fakeclock");
                execFileSync(tool, ["set", this.info.fakeclock, "--ntp-synced", synced ? "1" : "0"]);
        }

        // The camera simulator's control API (tools/ccapi-sim --help): simState() resolves to
        // GET /sim/state, simSet({fault: "busy", ...}) POSTs the values and resolves to the new
        // state. Under --netns the simulator lives in the camera's namespace, which this process
        // is not in (and an address there must never be asked from the host's namespace, whose
        // routes lead off the machine): the request is made by python3 run inside it.
        simState() {
                return this.simRequest(null);
        }

        simSet(values) {
                return this.simRequest(values);
        }

        async simRequest(values) {
                const url = this.info.sim;
                if (!url) throw new Error("the testbed has no camera simulator (--no-camera?)");
                const script = [
                        "import sys, urllib.request",
                        "url, body = sys.argv[1], sys.argv[2]",
                        "req = urllib.request.Request(url, data=body.encode() if body else None,",
                        "    method='POST' if body else 'GET', headers={'Content-Type': 'application/json'})",
                        "try:",
                        "    with urllib.request.urlopen(req, timeout=10) as r:",
                        "        sys.stdout.write(r.read().decode())",
                        "except urllib.error.HTTPError as e:",
                        "    sys.exit(f'HTTP {e.code}: {e.read().decode()}')",
                ].join("\n");
                let argv = ["/usr/bin/python3", "-c", script, url, values ? JSON.stringify(values) : ""];
                if (this.info.netns) {
                        argv = ["ip", "netns", "exec", this.info.netns.namespaces.camera, ...argv];
                } else if (new URL(url).hostname !== "127.0.0.1") {
                        throw new Error(`the simulator is at ${url}, not on loopback: not asked`);
                }
                const out = await new Promise((resolve, reject) => {
                        execFile(argv[0], argv.slice(1), { encoding: "utf8", timeout: 20000 },
                                (err, stdout, stderr) => {
                                        if (err) reject(new Error(`${values ? "POST" : "GET"} ${url} ` +
                                                `${JSON.stringify(values)} failed: ${stderr || err.message}`));
                                        else resolve(stdout);
                                });
                });
                return JSON.parse(out);
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

#!/usr/bin/env node
// Start time and memory of `knitfab serve` on the embedded default (PGlite): from exec to the first
// 200 of /readyz, the peak RSS up to then (VmHWM), and the RSS after it has idled. Both the first
// start on an empty home (which creates the database) and a restart on the same home are measured.
// Baseline: a bare `node` HTTP server started the same way and asked the same question.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./lib/postgres.mjs";
import { main, numericOptions } from "./lib/args.mjs";

const KNITFAB_BIN = fileURLToPath(new URL("../packages/server/dist/bin/knitfab.js", import.meta.url));
const BARE_SERVER = `require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.argv[1]), "127.0.0.1")`;

function statusKiB(pid, field) {
  const match = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) : NaN;
}
const mib = (kib) => kib / 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function untilReady(url, child, deadlineMs) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before it was ready`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`not ready within ${deadlineMs} ms`);
    await sleep(5);
  }
}

async function measure(args, readyPath, idleMs) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...args(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk) => (log += chunk));
  try {
    await untilReady(`http://127.0.0.1:${port}${readyPath}`, child, 120_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${error.message}\n${log}`);
  }
  const readyMs = performance.now() - started;
  const peakAtStart = statusKiB(child.pid, "VmHWM");
  await sleep(idleMs);
  const idle = statusKiB(child.pid, "VmRSS");
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  return { readyMs, peakAtStart, idle };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

await main(async () => {
  const { rounds, "idle-seconds": idleSeconds } = numericOptions("node bench/server-start.mjs [--rounds 5] [--idle-seconds 10]", { rounds: 5, "idle-seconds": 10 });
  const rows = { first: [], restart: [], bare: [] };
  for (let round = 0; round < rounds; round++) {
    const home = mkdtempSync(join(tmpdir(), "knitfab-bench-start-"));
    try {
      const serve = (port) => [KNITFAB_BIN, "serve", "--home", home, "--port", String(port), "--log-level", "warn"];
      rows.bare.push(await measure((port) => ["-e", BARE_SERVER, String(port)], "/", 1000));
      rows.first.push(await measure(serve, "/readyz", idleSeconds * 1000));
      rows.restart.push(await measure(serve, "/readyz", idleSeconds * 1000));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  const bareMs = median(rows.bare.map((row) => row.readyMs));
  console.log(`load average: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.log(`median of ${rounds} rounds; idle = RSS after ${idleSeconds} s without requests`);
  console.log("| start | exec → ready ms | × bare node | peak RSS at start MiB | idle RSS MiB |");
  console.log("|---|---|---|---|---|");
  for (const [name, list] of Object.entries(rows)) {
    const ms = median(list.map((row) => row.readyMs));
    console.log(`| ${name} | ${ms.toFixed(0)} | ${(ms / bareMs).toFixed(2)} | ${mib(median(list.map((row) => row.peakAtStart))).toFixed(0)} | ${mib(median(list.map((row) => row.idle))).toFixed(0)} |`);
  }
  console.log("targets: ready ≤ 1500 ms, idle ≤ 150 MiB, peak at start ≤ 250 MiB");
});

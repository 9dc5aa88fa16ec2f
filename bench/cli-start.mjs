#!/usr/bin/env node
// CLI start benchmark: CPU time (user + sys) and peak RSS of `knit` commands, each as a ratio to
// `node -e 0` measured in the same round; `knit data find` also against a bare `node` that sends the
// same GET and prints the answer, so the ratio shows what knit adds to the request itself.
// The commands run through the installed entry point (packages/cli/bin/knit.cjs) against a
// `knitfab serve` started here on a temporary home. Medians of --rounds rounds; each round runs
// every command once, so a change of load on the machine affects all of them alike.
// Needs python3 (the kernel's per-child rusage, see lib/rusage.py). Run `npm run build` first.
// Usage: node bench/cli-start.mjs [--rounds 15]
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main, numericOptions } from "./lib/args.mjs";
import { startServerProcess } from "./lib/server-process.mjs";
import { fixed, printTable } from "./lib/stats.mjs";

const USAGE = "usage: node bench/cli-start.mjs [--rounds 15]";
const { rounds } = numericOptions(USAGE, { rounds: 15 });
const KNIT = fileURLToPath(new URL("../packages/cli/bin/knit.cjs", import.meta.url));
const RUSAGE = fileURLToPath(new URL("./lib/rusage.py", import.meta.url));
const TAG = "bench:cli-start";

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const load = () => loadavg().map((value) => fixed(value)).join(", ");

/** Runs knit once for setting things up; its stdout parsed as JSON when asked. */
function knitSetup(user, args) {
  const result = spawnSync(process.execPath, [KNIT, ...args], { cwd: user.project, env: user.env, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`knit ${args.join(" ")} failed (${result.status}):\n${result.stderr}`);
  return result.stdout;
}

/** Every command measured, with the check that it does what it is measured for. */
function commands(user, apiRoot, knitId, planId) {
  const node = (name, args, check) => ({ name, argv: [process.execPath, ...args], check });
  const knit = (args, check) => node(`knit ${args.join(" ")}`, [KNIT, ...args], check);
  const findUrl = `${apiRoot}/data?tag=${encodeURIComponent(TAG)}`;
  const getOnce = "require('node:http').get(process.argv[1], (response) => response.pipe(process.stdout))";
  const foundOne = (out) => JSON.parse(out).length === 1;
  return [
    node("node -e 0", ["-e", "0"], () => true),
    node("node: GET /data?tag=… (bare request)", ["-e", getOnce, findUrl], foundOne),
    knit(["version"], (out) => /^v\d/.test(out)),
    knit(["--help"], () => true),
    knit(["data", "find", "-t", TAG], foundOne),
    knit(["data", "lineage", knitId], (out) => out.includes("digraph")),
    knit(["plan", "graph", planId], (out) => out.includes("digraph")),
  ].map((command) => ({ ...command, cwd: user.project, env: user.env }));
}

/** Runs each command once and checks its output, so the figures are of commands that work. */
function verify(list) {
  for (const command of list) {
    const result = spawnSync(command.argv[0], command.argv.slice(1), { cwd: command.cwd, env: command.env, encoding: "utf8" });
    if (result.status !== 0 || !command.check(result.stdout)) {
      throw new Error(`${command.name} did not work (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
  }
}

/** CPU seconds and peak RSS (KiB) of every run, measured by lib/rusage.py. */
function measure(list, count) {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", [RUSAGE], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.on("error", (error) => reject(new Error(`cannot run python3 (needed for per-process rusage): ${error.message}`)));
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`lib/rusage.py failed (${code})`));
      else resolve(out.trim().split("\n").map((line) => JSON.parse(line)));
    });
    const spec = { rounds: count, commands: list.map(({ name, argv, cwd, env }) => ({ name, argv, cwd, env })) };
    child.stdin.end(JSON.stringify(spec));
  });
}

await main(async () => {
  const work = await mkdtemp(join(tmpdir(), "knitfab-bench-cli-start-"));
  let server;
  try {
    server = await startServerProcess({ home: join(work, "server") });
    const user = { project: join(work, "user", "project"), env: { PATH: process.env.PATH ?? "", HOME: join(work, "user"), TZ: "UTC" } };
    await mkdir(join(user.project, "dataset"), { recursive: true });
    await writeFile(join(user.project, "dataset", "value"), "1\n");
    knitSetup(user, ["init", join(work, "server", "handout", "knitprofile")]);
    const { knitId } = JSON.parse(knitSetup(user, ["data", "push", "-t", TAG, "./dataset"]));
    // Inputs no Data has, so no Run starts (and no container engine is needed).
    await writeFile(join(user.project, "plan.yaml"), "image: localhost/bench:v1\ninputs:\n  - path: /in\n    tags: [\"bench:never\"]\noutputs:\n  - path: /out\n    tags: [\"bench:out\"]\n");
    const { planId } = JSON.parse(knitSetup(user, ["plan", "apply", "./plan.yaml"]));

    const list = commands(user, server.apiRoot, knitId, planId);
    verify(list);
    console.error(`load average before: ${load()}`);
    console.error(`measuring ${list.length} commands × ${rounds} rounds (after one warm-up round) ...`);
    const runs = (await measure(list, rounds + 1)).filter((run) => run.round > 0);
    console.error(`load average after: ${load()}`);

    // Ratios are taken round by round (each command against the baseline of the same round), then
    // the median: a change of load between rounds then cancels out of the ratio.
    const byRound = (name, field) => runs.filter((run) => run.name === name).sort((a, b) => a.round - b.round).map(field);
    const cpu = (run) => (run.user + run.sys) * 1000;
    const rss = (run) => run.maxrss / 1024;
    const ratio = (name, baselineName, field) => {
      const baseline = byRound(baselineName, field);
      return median(byRound(name, field).map((value, index) => value / baseline[index]));
    };
    const baselineName = list[0].name;
    console.log(`CLI start, median of ${rounds} rounds (load average now: ${load()})`);
    printTable(
      ["command", "CPU ms", "× node -e 0", "peak RSS MiB", "× node -e 0"],
      list.map(({ name }) => [name, fixed(median(byRound(name, cpu)), 1), fixed(ratio(name, baselineName, cpu)), fixed(median(byRound(name, rss)), 1), fixed(ratio(name, baselineName, rss))]),
    );
    const find = `knit data find -t ${TAG}`;
    console.log(`knit data find / bare request: CPU ${fixed(ratio(find, list[1].name, cpu))}×, peak RSS ${fixed(ratio(find, list[1].name, rss))}× (target: CPU ≤ 1.3×)`);
  } finally {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  }
});

#!/usr/bin/env node
// Transfer benchmark: push then pull a folder through the HTTP API of a running `knitfab serve`
// (PGlite, local data store), against the tools users would use instead on the same folder at the
// same gzip level, measured in the same run: `pigz -p N` / `unpigz` (N = the machine's cores) when
// pigz is installed, and with --tar (or without pigz) tar+gzip. Also the server's peak RSS growth
// during each transfer. The folder is a mixed one of --size-mb MiB, or with --small-files COUNT
// that many small files, where the cost per file outweighs the bytes.
// Run `npm run build` first. Usage: node bench/transfer.mjs [--size-mb 1024] [--small-files 100000] [--rounds 3] [--tar]
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, mkdir, stat } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { numericOptions } from "./lib/args.mjs";
import { makeMixedFolder, makeSmallFilesFolder } from "./lib/mixed-folder.mjs";
import { startServerProcess } from "./lib/server-process.mjs";
import { cpuSeconds, watchRss } from "./lib/rss.mjs";
import { pushFolder, pullData } from "./lib/transfer-client.mjs";
import { treeDigest } from "./lib/tree-digest.mjs";
import { MiB, fixed, percentile, printTable, timed } from "./lib/stats.mjs";

const USAGE = "usage: node bench/transfer.mjs [--size-mb 1024] [--small-files COUNT] [--rounds 3] [--tar]";
const { "size-mb": sizeMb, "small-files": smallFiles, rounds, tar: withTar } = numericOptions(USAGE, { "size-mb": 1024, "small-files": 0, rounds: 3 }, ["tar"]);
const cores = availableParallelism();
const hasPigz = spawnSync("sh", ["-c", "command -v pigz && command -v unpigz"], { stdio: "ignore" }).status === 0;
if (!hasPigz) console.error("pigz/unpigz not found (Debian: apt-get install pigz): comparing with tar+gzip only");

/**
 * The baselines, each a shell command on the folder `src`, writing `archive` or extracting into
 * `out`: packing alone, unpacking alone, and both in one pipe (what a push or a pull does in all).
 */
const TOOLS = [
  ...(withTar || !hasPigz ? [{
    name: "tar+gzip",
    pack: (src, archive) => `tar -czf ${archive} -C ${src} .`,
    unpack: (archive, out) => `tar -xzf ${archive} -C ${out}`,
    pipe: (src, out) => `tar -cz -C ${src} . | tar -xz -C ${out}`,
    labels: ["tar -czf", "tar -xzf", "tar -cz | tar -xz"],
  }] : []),
  ...(hasPigz ? [{
    name: "pigz",
    pack: (src, archive) => `tar -c -C ${src} . | pigz -6 -p ${cores} > ${archive}`,
    unpack: (archive, out) => `unpigz -p ${cores} < ${archive} | tar -x -C ${out}`,
    pipe: (src, out) => `tar -c -C ${src} . | pigz -6 -p ${cores} | unpigz -p ${cores} | tar -x -C ${out}`,
    labels: [`tar -c | pigz -6 -p ${cores}`, `unpigz -p ${cores} | tar -x`, `tar -c | pigz -6 -p ${cores} | unpigz | tar -x`],
  }] : []),
];
/** Runs a shell command; its time is the baseline's. */
function shell(command) {
  const result = spawnSync("sh", ["-c", command], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, GZIP: "" } });
  if (result.status !== 0) throw new Error(`"${command}" failed with status ${result.status}`);
}

/** Times one step; dirty pages are flushed first so each step starts equal. */
async function phase(name, fn) {
  shell("sync");
  const { ms, result } = await timed(fn);
  console.error(`  ${name}: ${fixed(ms / 1000)} s`);
  return { ms, result };
}

const work = await mkdtemp(join(tmpdir(), "knitfab-bench-transfer-"));
let server;
try {
  const source = join(work, "source");
  console.error(smallFiles > 0 ? `making ${smallFiles} small files in ${source} ...` : `making ${sizeMb} MiB of mixed files in ${source} ...`);
  const made = smallFiles > 0 ? await makeSmallFilesFolder(source, smallFiles) : await makeMixedFolder(source, Math.round(sizeMb * MiB));
  const mb = made.bytes / MiB;
  console.error(`  ${made.files} files, ${fixed(mb)} MiB`);

  const home = join(work, "home");
  server = await startServerProcess({ home });
  const times = { push: [], pull: [] };
  for (const tool of TOOLS) for (const step of ["pack", "unpack", "pipe"]) times[`${tool.name} ${step}`] = [];
  const cpu = { push: 0, pull: 0 };
  const memory = { push: undefined, pull: undefined };
  const worse = (a, b) => (a === undefined || b.growth > a.growth ? b : a);
  const archiveBytes = {};
  const loadBefore = loadavg();
  // Baselines and transfers alternate round by round, so a load change on the machine affects both.
  for (let round = 1; round <= rounds; round++) {
    console.error(`round ${round}/${rounds}: ${TOOLS.map((tool) => tool.labels.join(", ")).join("; ")} (gzip level 6), then push and pull ...`);
    for (const tool of TOOLS) {
      const archive = join(work, "baseline.tar.gz");
      times[`${tool.name} pack`].push((await phase(tool.labels[0], async () => shell(tool.pack(source, archive)))).ms);
      archiveBytes[tool.name] = (await stat(archive)).size;
      await mkdir(join(work, "unpacked"));
      times[`${tool.name} unpack`].push((await phase(tool.labels[1], async () => shell(tool.unpack(archive, join(work, "unpacked"))))).ms);
      await rm(join(work, "unpacked"), { recursive: true });
      await rm(archive);
      await mkdir(join(work, "piped"));
      times[`${tool.name} pipe`].push((await phase(tool.labels[2], async () => shell(tool.pipe(source, join(work, "piped"))))).ms);
      await rm(join(work, "piped"), { recursive: true });
    }

    const cpuBeforePush = cpuSeconds(server.pid);
    const pushRss = watchRss(server.pid);
    const push = await phase("push", () => pushFolder(server.apiRoot, source));
    memory.push = worse(memory.push, pushRss.stop());
    cpu.push += cpuSeconds(server.pid) - cpuBeforePush;
    times.push.push(push.ms);

    const pulled = join(work, "pulled");
    const cpuBeforePull = cpuSeconds(server.pid);
    const pullRss = watchRss(server.pid);
    const pull = await phase("pull", () => pullData(server.apiRoot, push.result.knitId, pulled));
    memory.pull = worse(memory.pull, pullRss.stop());
    cpu.pull += cpuSeconds(server.pid) - cpuBeforePull;
    times.pull.push(pull.ms);

    if (round === 1) {
      console.error("checking the stored copy and the pulled copy are identical to the source ...");
      const [original, stored, copy] = await Promise.all([
        treeDigest(source),
        treeDigest(join(home, "data", "data", push.result.knitId)),
        treeDigest(pulled),
      ]);
      if (original.digest !== stored.digest || original.digest !== copy.digest) {
        throw new Error(`contents differ: source ${original.digest} (${original.files} files), stored ${stored.digest}, pulled ${copy.digest}`);
      }
    }
    await rm(pulled, { recursive: true });
  }

  // Best of the rounds: the least disturbed measurement of each step on a shared machine.
  const best = Object.fromEntries(Object.entries(times).map(([step, values]) => [step, Math.min(...values)]));
  const rate = (ms) => mb / (ms / 1000);
  const row = (label, step, extra = ["", "", "", ""]) => [label, fixed(best[step] / 1000), fixed(rate(best[step])), fixed(rate(percentile(times[step], 50))), ...extra];
  const serverColumns = (step) => [fixed(cpu[step] / rounds), fixed(memory[step].start / MiB, 1), fixed(memory[step].peak / MiB, 1), fixed(memory[step].growth / MiB, 1)];
  const sizes = TOOLS.map((tool) => `${tool.name}: ${fixed(archiveBytes[tool.name] / MiB)} MiB, ${fixed(archiveBytes[tool.name] / made.bytes, 3)} of the size`).join("; ");
  const load = (values) => values.map((value) => fixed(value)).join(", ");
  console.log(`\ntransfer: ${made.files} files, ${fixed(mb)} MiB (gzip -6 with ${sizes}); contents verified; best of ${rounds} rounds; ${cores} cores; load average ${load(loadBefore)} -> ${load(loadavg())}\n`);
  printTable(
    ["step", "best s", "best MiB/s", "median MiB/s", "server CPU s", "server RSS start MiB", "peak MiB", "growth MiB"],
    [
      ...TOOLS.flatMap((tool) => ["pack", "unpack", "pipe"].map((step, index) => row(`${tool.labels[index]} (baseline)`, `${tool.name} ${step}`))),
      row("knitfab push", "push", serverColumns("push")),
      row("knitfab pull", "pull", serverColumns("pull")),
    ],
  );
  console.log("");
  printTable(
    ["ratio of throughputs (best of rounds)", "value", "target"],
    TOOLS.flatMap((tool) => [
      [`push / ${tool.labels[0]}`, fixed(best[`${tool.name} pack`] / best.push, 3), tool.name === "pigz" ? "(the packing side only)" : ">= 0.9"],
      [`push / (${tool.labels[2]})`, fixed(best[`${tool.name} pipe`] / best.push, 3), ">= 0.9"],
      [`pull / (${tool.labels[2]})`, fixed(best[`${tool.name} pipe`] / best.pull, 3), ">= 0.9"],
    ]),
  );
  const worstGrowth = Math.max(memory.push.growth, memory.pull.growth) / MiB;
  console.log(`\nserver peak RSS growth during a transfer: ${fixed(worstGrowth, 1)} MiB (target < 100 MB)${memory.push.exactPeak ? " (VmHWM)" : " (VmRSS sampled every 20 ms)"}`);
  console.log("A push packs and compresses on the client and unpacks on the server; a pull packs and compresses on the server and unpacks on the client.");
  console.log("The pipe of a baseline does the same work (pack, gzip, gunzip, unpack) on the same cores: the like-for-like baseline for either direction.");
} finally {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
}

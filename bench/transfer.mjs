#!/usr/bin/env node
// Transfer benchmark: push then pull a folder of mixed files through the HTTP API of a running
// `knitfab serve` (PGlite, local data store), against tar+gzip of the same folder at the same gzip
// level, measured in the same run. Also the server's peak RSS growth during each transfer.
// Run `npm run build` first. Usage: node bench/transfer.mjs [--size-mb 1024] [--rounds 3]
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, mkdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { numericOptions } from "./lib/args.mjs";
import { makeMixedFolder } from "./lib/mixed-folder.mjs";
import { startServerProcess } from "./lib/server-process.mjs";
import { cpuSeconds, watchRss } from "./lib/rss.mjs";
import { pushFolder, pullData } from "./lib/transfer-client.mjs";
import { treeDigest } from "./lib/tree-digest.mjs";
import { MiB, fixed, percentile, printTable, timed } from "./lib/stats.mjs";

const USAGE = "usage: node bench/transfer.mjs [--size-mb 1024] [--rounds 3]";
const { "size-mb": sizeMb, rounds } = numericOptions(USAGE, { "size-mb": 1024, rounds: 3 });

/** Runs a shell command; its time is the baseline's. Dirty pages are flushed first so each phase starts equal. */
function shell(command) {
  const result = spawnSync("sh", ["-c", command], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, GZIP: "" } });
  if (result.status !== 0) throw new Error(`"${command}" failed with status ${result.status}`);
}

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
  console.error(`making ${sizeMb} MiB of mixed files in ${source} ...`);
  const made = await makeMixedFolder(source, Math.round(sizeMb * MiB));
  const mb = made.bytes / MiB;
  console.error(`  ${made.files} files, ${fixed(mb)} MiB`);

  const home = join(work, "home");
  server = await startServerProcess({ home });
  const times = { tarCreate: [], tarExtract: [], tarPipe: [], push: [], pull: [] };
  const cpu = { push: 0, pull: 0 };
  const memory = { push: undefined, pull: undefined };
  const worse = (a, b) => (a === undefined || b.growth > a.growth ? b : a);
  let archiveBytes = 0;
  // Baselines and transfers alternate round by round, so a load change on the machine affects both.
  for (let round = 1; round <= rounds; round++) {
    console.error(`round ${round}/${rounds}: tar -czf, tar -xzf, tar -cz | tar -xz (gzip level 6), then push and pull ...`);
    const archive = join(work, "baseline.tar.gz");
    times.tarCreate.push((await phase("tar -czf", async () => shell(`tar -czf ${archive} -C ${source} .`))).ms);
    archiveBytes = (await stat(archive)).size;
    await mkdir(join(work, "untarred"));
    times.tarExtract.push((await phase("tar -xzf", async () => shell(`tar -xzf ${archive} -C ${join(work, "untarred")}`))).ms);
    await rm(join(work, "untarred"), { recursive: true });
    await rm(archive);
    await mkdir(join(work, "piped"));
    times.tarPipe.push((await phase("tar -cz | tar -xz", async () => shell(`tar -cz -C ${source} . | tar -xz -C ${join(work, "piped")}`))).ms);
    await rm(join(work, "piped"), { recursive: true });

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
  console.log(`\ntransfer: ${made.files} files, ${fixed(mb)} MiB (gzip -6: ${fixed(archiveBytes / MiB)} MiB, ${fixed(archiveBytes / made.bytes, 3)} of the size); contents verified; best of ${rounds} rounds\n`);
  printTable(
    ["step", "best s", "best MiB/s", "median MiB/s", "server CPU s", "server RSS start MiB", "peak MiB", "growth MiB"],
    [
      row("tar -czf (baseline)", "tarCreate"),
      row("tar -xzf (baseline)", "tarExtract"),
      row("tar -cz | tar -xz (baseline)", "tarPipe"),
      row("knitfab push", "push", serverColumns("push")),
      row("knitfab pull", "pull", serverColumns("pull")),
    ],
  );
  console.log("");
  printTable(
    ["ratio of throughputs (best of rounds)", "value", "target"],
    [
      ["push / tar -czf", fixed(best.tarCreate / best.push, 3), ">= 0.9"],
      ["pull / tar -xzf", fixed(best.tarExtract / best.pull, 3), "(a pull also compresses; see below)"],
      ["push / (tar -cz | tar -xz)", fixed(best.tarPipe / best.push, 3), ">= 0.9"],
      ["pull / (tar -cz | tar -xz)", fixed(best.tarPipe / best.pull, 3), ">= 0.9"],
      ["push+pull / (tar -czf + tar -xzf)", fixed((best.tarCreate + best.tarExtract) / (best.push + best.pull), 3), ""],
    ],
  );
  const worstGrowth = Math.max(memory.push.growth, memory.pull.growth) / MiB;
  console.log(`\nserver peak RSS growth during a transfer: ${fixed(worstGrowth, 1)} MiB (target < 100 MB)${memory.push.exactPeak ? " (VmHWM)" : " (VmRSS sampled every 20 ms)"}`);
  console.log("A push compresses on the client and unpacks on the server; a pull compresses on the server and unpacks on the client.");
  console.log("tar -cz | tar -xz does the same work (pack, gzip, gunzip, unpack) and is the like-for-like baseline for either direction.");
} finally {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
}

#!/usr/bin/env node
// Transfer benchmark: push then pull a folder of mixed files through the HTTP API of a running
// `knitfab serve` (PGlite, local data store), against tar+gzip of the same folder at the same gzip
// level, measured in the same run. Also the server's peak RSS growth during each transfer.
// Run `npm run build` first. Usage: node bench/transfer.mjs [--size-mb 1024]
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
import { MiB, fixed, printTable, timed } from "./lib/stats.mjs";

const USAGE = "usage: node bench/transfer.mjs [--size-mb 1024]";
const { "size-mb": sizeMb } = numericOptions(USAGE, { "size-mb": 1024 });

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

  console.error("baseline: tar -czf / tar -xzf (gzip level 6) ...");
  const archive = join(work, "baseline.tar.gz");
  const tarCreate = await phase("tar -czf", async () => shell(`tar -czf ${archive} -C ${source} .`));
  const archiveBytes = (await stat(archive)).size;
  await mkdir(join(work, "untarred"));
  const tarExtract = await phase("tar -xzf", async () => shell(`tar -xzf ${archive} -C ${join(work, "untarred")}`));
  await rm(join(work, "untarred"), { recursive: true });
  await rm(archive);
  await mkdir(join(work, "piped"));
  const tarPipe = await phase("tar -cz | tar -xz", async () => shell(`tar -cz -C ${source} . | tar -xz -C ${join(work, "piped")}`));
  await rm(join(work, "piped"), { recursive: true });

  console.error("knitfab: push then pull through the HTTP API ...");
  const home = join(work, "home");
  server = await startServerProcess({ home });
  const cpuBeforePush = cpuSeconds(server.pid);
  const pushRss = watchRss(server.pid);
  const push = await phase("push", () => pushFolder(server.apiRoot, source));
  const pushMemory = pushRss.stop();
  const cpuPush = cpuSeconds(server.pid) - cpuBeforePush;

  const pulled = join(work, "pulled");
  const cpuBeforePull = cpuSeconds(server.pid);
  const pullRss = watchRss(server.pid);
  const pull = await phase("pull", () => pullData(server.apiRoot, push.result.knitId, pulled));
  const pullMemory = pullRss.stop();
  const cpuPull = cpuSeconds(server.pid) - cpuBeforePull;

  console.error("checking the pulled copy and the stored copy are identical to the source ...");
  const [original, stored, copy] = await Promise.all([
    treeDigest(source),
    treeDigest(join(home, "data", "data", push.result.knitId)),
    treeDigest(pulled),
  ]);
  if (original.digest !== stored.digest || original.digest !== copy.digest) {
    throw new Error(`contents differ: source ${original.digest} (${original.files} files), stored ${stored.digest}, pulled ${copy.digest}`);
  }

  const rate = (ms) => mb / (ms / 1000);
  console.log(`\ntransfer: ${made.files} files, ${fixed(mb)} MiB (gzip -6: ${fixed(archiveBytes / MiB)} MiB, ${fixed(archiveBytes / made.bytes, 3)} of the size); contents verified\n`);
  printTable(
    ["step", "seconds", "MiB/s", "server CPU s", "server RSS start MiB", "peak MiB", "growth MiB"],
    [
      ["tar -czf (baseline)", fixed(tarCreate.ms / 1000), fixed(rate(tarCreate.ms)), "", "", "", ""],
      ["tar -xzf (baseline)", fixed(tarExtract.ms / 1000), fixed(rate(tarExtract.ms)), "", "", "", ""],
      ["tar -cz | tar -xz (baseline)", fixed(tarPipe.ms / 1000), fixed(rate(tarPipe.ms)), "", "", "", ""],
      ["knitfab push", fixed(push.ms / 1000), fixed(rate(push.ms)), fixed(cpuPush), fixed(pushMemory.start / MiB, 1), fixed(pushMemory.peak / MiB, 1), fixed(pushMemory.growth / MiB, 1)],
      ["knitfab pull", fixed(pull.ms / 1000), fixed(rate(pull.ms)), fixed(cpuPull), fixed(pullMemory.start / MiB, 1), fixed(pullMemory.peak / MiB, 1), fixed(pullMemory.growth / MiB, 1)],
    ],
  );
  console.log("");
  printTable(
    ["ratio (throughput, higher is better)", "value", "target"],
    [
      ["push / tar -czf", fixed(tarCreate.ms / push.ms, 3), ">= 0.9"],
      ["pull / tar -xzf", fixed(tarExtract.ms / pull.ms, 3), "(pull also compresses; see below)"],
      ["push / (tar -cz | tar -xz)", fixed(tarPipe.ms / push.ms, 3), ">= 0.9"],
      ["pull / (tar -cz | tar -xz)", fixed(tarPipe.ms / pull.ms, 3), ">= 0.9"],
      ["push+pull / (tar -czf + tar -xzf)", fixed((tarCreate.ms + tarExtract.ms) / (push.ms + pull.ms), 3), ""],
    ],
  );
  const worstGrowth = Math.max(pushMemory.growth, pullMemory.growth) / MiB;
  console.log(`\nserver peak RSS growth: ${fixed(worstGrowth, 1)} MiB (target < 100 MB)${pushMemory.exactPeak ? "" : " (sampled every 20 ms; VmHWM could not be reset)"}`);
  console.log("a pull packs and compresses on the server and unpacks on the client, the same work as a push in the other direction;");
  console.log("tar -cz | tar -xz is the like-for-like baseline for either direction.");
} finally {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
}

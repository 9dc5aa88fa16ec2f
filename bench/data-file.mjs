#!/usr/bin/env node
// Memory of the files extension: reads one large file of a Data through
// `GET /api/x/data/{knitId}/file` of a running `knitfab serve` (PGlite, local data store) and reports
// the server's resident memory before and at its peak, for a whole read and for a range near the end.
// The file is sparse (made with truncate after the upload), so the bench needs no disk space.
// Run `npm run build` first. Usage: node bench/data-file.mjs [--size-mb 1024]
import http from "node:http";
import { mkdtemp, rm, truncate, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { numericOptions } from "./lib/args.mjs";
import { startServerProcess } from "./lib/server-process.mjs";
import { watchRss } from "./lib/rss.mjs";
import { pushFolder } from "./lib/transfer-client.mjs";
import { MiB, fixed, printTable, timed } from "./lib/stats.mjs";

const USAGE = "usage: node bench/data-file.mjs [--size-mb 1024]";
const { "size-mb": sizeMb } = numericOptions(USAGE, { "size-mb": 1024 });

/** Reads a response to its end, counting bytes and keeping none. */
function read(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (response) => {
      let bytes = 0;
      response.on("data", (chunk) => (bytes += chunk.length));
      response.on("end", () => resolve({ status: response.statusCode, bytes }));
      response.on("error", reject);
    }).on("error", reject);
  });
}

const work = await mkdtemp(join(tmpdir(), "knitfab-bench-data-file-"));
let server;
try {
  const source = join(work, "source");
  await mkdir(source);
  await writeFile(join(source, "big.bin"), "");
  const home = join(work, "home");
  server = await startServerProcess({ home });
  const { knitId } = await pushFolder(server.apiRoot, source);
  const size = Math.round(sizeMb * MiB);
  // Behind the store's back, on purpose: a sparse file of any size costs no disk.
  await truncate(join(home, "data", "data", knitId, "big.bin"), size);
  const url = `${server.apiRoot}/x/data/${knitId}/file?path=big.bin`;
  const rows = [];
  for (const [name, headers, expected] of [["whole file", {}, size], ["last half (Range)", { range: `bytes=${size / 2}-` }, size - size / 2]]) {
    const rss = watchRss(server.pid);
    const { ms, result } = await timed(() => read(url, headers));
    const memory = rss.stop();
    if (result.bytes !== expected) throw new Error(`${name}: read ${result.bytes} bytes, expected ${expected} (status ${result.status})`);
    rows.push([name, fixed(result.bytes / MiB, 0), fixed(ms / 1000), fixed(memory.start / MiB), fixed(memory.peak / MiB), fixed(memory.growth / MiB), memory.exactPeak ? "VmHWM" : "sampled"]);
  }
  printTable(["read", "MiB", "s", "server RSS before (MiB)", "peak (MiB)", "growth (MiB)", "peak from"], rows);
} finally {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
}

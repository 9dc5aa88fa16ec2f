/**
 * Shared pieces of the benchmarks: a real `knitfab serve` (embedded database) on a temporary home,
 * the Podman API service and the offline busybox image, bare `podman run` baselines, and statistics.
 * Run `npm run build` first. Figures are printed, never asserted.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const IMAGE = "localhost/busybox:test";

export function prepareEngine() {
  const socket = execFileSync("sh", [join(ROOT, "scripts/podman-service.sh")], { encoding: "utf8" }).trim().split("\n").pop();
  execFileSync("sh", [join(ROOT, "scripts/make-test-image.sh"), IMAGE], { stdio: "ignore" });
  return socket;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `knitfab serve` on a temporary home as a child process. `socket`: the container engine's API
 * (undefined: none, for benchmarks where nothing executes); `args`: more options, e.g. `--console <dir>`.
 */
export async function startServer(socket, env = {}, args = []) {
  const home = mkdtempSync(join(tmpdir(), "knitfab-bench-"));
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, "packages/server/bin/knitfab.js"), "serve", "--home", home, "--port", String(port), "--log-level", "off", ...args], {
    env: { ...process.env, ...(socket ? { DOCKER_HOST: `unix://${socket}` } : {}), ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const apiRoot = `${url}/api`;
  for (let attempt = 0; ; attempt++) {
    if (await fetch(`${apiRoot}/plans/`).then((r) => r.ok, () => false)) break;
    if (attempt > 600 || child.exitCode !== null) throw new Error("knitfab serve did not start; run `npm run build` first");
    await sleep(100);
  }
  return {
    url,
    apiRoot,
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function api(apiRoot, path, init = {}) {
  const response = await fetch(`${apiRoot}${path}`, {
    ...init,
    headers: typeof init.body === "string" ? { "content-type": "application/json" } : init.headers,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A one-file tar.gz, written by hand (512-byte header, content, two zero blocks). */
function tarGz(name, content) {
  const data = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
  header.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, "0") + "\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return gzipSync(Buffer.concat([header, data, padding, Buffer.alloc(1024)]));
}

/** Uploads a one-file Data; returns its knitId (untagged, so nothing runs yet). */
export async function upload(apiRoot, content) {
  const body = tarGz("value", content);
  // fetch cannot send trailers: the server also takes the checksum it requires as a header
  const headers = { "content-type": "application/tar+gzip", "x-checksum-md5": createHash("md5").update(body).digest("hex") };
  const data = await api(apiRoot, "/data/", { method: "POST", body, headers });
  return data.knitId;
}

export const tag = (apiRoot, knitId, tags) => api(apiRoot, `/data/${knitId}`, { method: "PUT", body: JSON.stringify({ add: tags }) });

export function trivialPlan(inputTags, outputTags, extra = {}) {
  return {
    image: IMAGE,
    entrypoint: ["true"],
    inputs: inputTags.map((tags, index) => ({ path: `/in/${index}`, tags })),
    outputs: outputTags ? [{ path: "/out", tags: outputTags }] : [],
    resources: { cpu: "0.5", memory: "64Mi" },
    ...extra,
  };
}

/** Polls (every 5 ms) until the plan has `count` runs, all finished; returns them. */
export async function waitDone(apiRoot, planId, count, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await api(apiRoot, `/runs/?plan=${planId}`);
    if (runs.length >= count && runs.every((run) => run.status === "done" || run.status === "failed")) {
      const failed = runs.filter((run) => run.status !== "done");
      if (failed.length > 0) throw new Error(`${failed.length} run(s) failed: ${JSON.stringify(failed[0].exit)}`);
      return runs;
    }
    if (Date.now() > deadline) throw new Error(`plan ${planId}: runs not done in time`);
    await sleep(5);
  }
}

/** The baseline: the same trivial task as a bare container run (create, start, wait, remove). */
export function bareRun(command = ["true"]) {
  return new Promise((resolve, reject) => {
    const child = spawn("podman", ["run", "--rm", "--cpus", "0.5", "--memory", "64m", IMAGE, ...command], { stdio: "ignore" });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`podman run exited ${code}`))));
    child.on("error", reject);
  });
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export function report(name, ours, baseline, unit = "ms") {
  const ratio = ours / baseline;
  console.log(`${name}: knitfab ${ours.toFixed(1)} ${unit}, bare ${baseline.toFixed(1)} ${unit}, ratio ${ratio.toFixed(2)}×, overhead ${(ours - baseline).toFixed(1)} ${unit}`);
}

#!/usr/bin/env node
/**
 * `npm run demo`: runs a whole example pipeline on the embedded default, from a fresh clone.
 *
 * 1. installs npm packages and builds, when needed;
 * 2. finds a container engine (Docker or Podman); starts Podman's API service when Podman is
 *    installed, installs Podman when run as root on Debian/Ubuntu, else says how to get one;
 * 3. builds the example task image, or imports a busybox root file system when no base image can be pulled;
 * 4. starts `knitfab serve` on a temporary home, applies two chained plans (train, then validate),
 *    pushes example Data, waits for the runs, prints the lineage and exits 0.
 *
 * Options: --keep (leave the server's home folder for inspection), --port N.
 * Only Node.js built-ins are imported up front: the packages may not be installed yet.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, cpSync, mkdirSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const EXAMPLE = join(ROOT, "examples", "pipeline");
const IMAGE = "localhost/knitfab-example:1.0";
const args = process.argv.slice(2);
const keep = args.includes("--keep");
const portArg = args.includes("--port") ? Number(args[args.indexOf("--port") + 1]) : undefined;

const say = (message) => console.log(`demo: ${message}`);
const fail = (message) => {
  console.error(`demo: ${message}`);
  process.exit(1);
};
const has = (command) => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
const sh = (command, commandArgs, options = {}) => execFileSync(command, commandArgs, { cwd: ROOT, stdio: "inherit", ...options });

// 1. packages and build
function ensureBuilt() {
  if (!existsSync(join(ROOT, "node_modules", ".package-lock.json"))) {
    say("installing npm packages (npm ci)");
    // The lock file lists every platform's optional packages, so `npm ci` installs exactly what it pins.
    // Errors only: npm's advisory warnings (a transitive package asking for Node 22 that runs fine on
    // 20, install scripts awaiting approval) are noise to someone trying the project for the first time.
    sh("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
  }
  const built = join(ROOT, "packages", "server", "dist", "bin", "knitfab.js");
  const newestSource = newest(join(ROOT, "packages"), /\/src\/.*\.tsx?$/);
  if (!existsSync(built) || statSync(built).mtimeMs < newestSource) {
    say("building (npm run build)");
    sh("npm", ["run", "build"]);
  }
}

function newest(dir, pattern) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path, pattern));
    else if (pattern.test(path) && !path.endsWith(".test.ts")) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

// 2. container engine
function ping(socketPath) {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve(body === "OK"));
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

async function findEngine() {
  const candidates = [];
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith("unix://")) candidates.push(host.slice("unix://".length));
  candidates.push("/var/run/docker.sock", "/run/podman/podman.sock", "/run/knitfab/podman.sock");
  if (process.env.XDG_RUNTIME_DIR) candidates.push(join(process.env.XDG_RUNTIME_DIR, "podman", "podman.sock"));
  for (const socket of candidates) if (existsSync(socket) && (await ping(socket))) return socket;
  return undefined;
}

function isDebianLike() {
  try {
    const release = readFileSync("/etc/os-release", "utf8");
    return /^(ID|ID_LIKE)=.*(debian|ubuntu)/m.test(release);
  } catch {
    return false;
  }
}

async function ensureEngine() {
  const found = await findEngine();
  if (found) return { socket: found, cli: cliFor(found) };
  if (!has("podman") && process.getuid?.() === 0 && isDebianLike()) {
    say("no container engine found; installing Podman (scripts/install-podman.sh)");
    sh("sh", [join(ROOT, "scripts", "install-podman.sh")]);
  }
  if (has("podman")) {
    const socket = process.getuid?.() === 0 ? "/run/knitfab/podman.sock" : join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), "knitfab", "podman.sock");
    say(`starting Podman's Docker-API service on ${socket}`);
    const out = execFileSync("sh", [join(ROOT, "scripts", "podman-service.sh"), socket], { cwd: ROOT, encoding: "utf8" });
    return { socket: out.trim().split("\n").pop(), cli: "podman" };
  }
  fail(
    "no container engine is reachable, and this demo runs its tasks in containers.\n" +
      "  Get one of:\n" +
      "  - Podman on Debian/Ubuntu: sudo apt-get install -y podman runc catatonit busybox-static\n" +
      "      (or, as root from this folder: sh scripts/install-podman.sh), then rerun `npm run demo`;\n" +
      "  - Docker: https://docs.docker.com/engine/install/ , started, and your user in the docker group;\n" +
      "  - an engine elsewhere: export DOCKER_HOST=unix:///path/to/engine.sock",
  );
}

function cliFor(socket) {
  if (socket.includes("podman") && has("podman")) return "podman";
  if (has("docker")) return "docker";
  return has("podman") ? "podman" : "docker";
}

// 3. example image
function ensureImage(cli, socket) {
  const env = { ...process.env, ...(cli === "docker" ? { DOCKER_HOST: `unix://${socket}` } : {}) };
  const exists = spawnSync(cli, ["image", "inspect", IMAGE], { stdio: "ignore", env }).status === 0;
  if (exists && !process.env.KNITFAB_DEMO_REBUILD) return say(`image ${IMAGE} is present`);
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((path) => existsSync(path) && spawnSync(path, ["--list"], { stdio: "ignore" }).status === 0);
  if (busybox) return importBusyboxImage(cli, env, busybox);
  say(`building ${IMAGE} from examples/pipeline/Containerfile`);
  const built = spawnSync(cli, ["build", "-t", IMAGE, "-f", join(EXAMPLE, "Containerfile"), EXAMPLE], { stdio: "inherit", env, timeout: 300_000 });
  if (built.status !== 0) {
    fail("could not build the example image (no internet to pull busybox?). Install busybox-static (apt-get install busybox-static) and rerun: the demo then imports it offline.");
  }
}

/** No internet needed: a root file system of busybox (and its applet links) plus the example scripts. */
function importBusyboxImage(cli, env, busybox) {
  say(`importing ${IMAGE} from a busybox root file system (${busybox})`);
  const root = mkdtempSync(join(tmpdir(), "knitfab-demo-rootfs-"));
  try {
    for (const dir of ["bin", "tmp", "etc", "app"]) mkdirSync(join(root, dir));
    chmodSync(join(root, "tmp"), 0o1777);
    cpSync(busybox, join(root, "bin", "busybox"));
    const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const applet of applets) if (applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
    writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
    writeFileSync(join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
    for (const script of ["train.sh", "validate.sh"]) cpSync(join(EXAMPLE, script), join(root, "app", script));
    const tar = spawn("tar", ["-C", root, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const importer = spawn(cli, ["import", "--change", "ENV PATH=/bin", "--change", 'CMD ["/bin/sh"]', "-", IMAGE], {
      stdio: ["pipe", "ignore", "inherit"],
      env,
    });
    tar.stdout.pipe(importer.stdin);
    return new Promise((resolve, reject) =>
      importer.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cli} import exited with ${code}`)))),
    ).finally(() => rmSync(root, { recursive: true, force: true }));
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

// 4. the pipeline
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

async function api(base, path, init = {}) {
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: init.body && typeof init.body === "string" ? { "content-type": "application/json" } : init.headers,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function waitForServer(base, child) {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) fail(`the server exited (${child.exitCode}) while starting; see its output above`);
    try {
      await api(base, "/plans/");
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  fail("the server did not answer within 60 s");
}

async function pushFolder(base, folder, tags) {
  const { packDirectory } = await import(pathToFileURL(join(ROOT, "packages", "archive", "dist", "index.js")).href);
  const chunks = [];
  for await (const chunk of packDirectory(folder)) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  // the server requires a checksum; as a header here, since fetch cannot send trailers
  const headers = { "content-type": "application/tar+gzip", "x-checksum-md5": createHash("md5").update(body).digest("hex") };
  const data = await api(base, "/data/", { method: "POST", body, headers });
  await api(base, `/data/${data.knitId}`, { method: "PUT", body: JSON.stringify({ add: tags }) });
  return data.knitId;
}

async function waitForRuns(base, plans, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  const seen = new Map();
  for (;;) {
    const runs = (await Promise.all(plans.map((plan) => api(base, `/runs/?plan=${plan.planId}`)))).flat();
    for (const run of runs) {
      if (seen.get(run.runId) !== run.status) {
        seen.set(run.runId, run.status);
        const plan = plans.find((p) => p.planId === run.plan.planId);
        say(`run ${run.runId.slice(0, 8)} (${plan?.name}) is ${run.status}${run.exit ? ` (exit ${run.exit.code}${run.exit.message ? `: ${run.exit.message}` : ""})` : ""}`);
      }
    }
    const finished = runs.filter((run) => run.status === "done" || run.status === "failed");
    if (plans.every((plan) => runs.some((run) => run.plan.planId === plan.planId)) && finished.length === runs.length) return runs;
    if (Date.now() > deadline) fail("the runs did not finish within 5 minutes");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function printLineage(base, dataset) {
  console.log("\nLineage (Data → Run → Data):");
  let knitIds = [dataset];
  const shown = new Set();
  while (knitIds.length > 0) {
    const next = [];
    for (const knitId of knitIds) {
      const [data] = await api(base, `/data/?tag=${encodeURIComponent(`knit#id:${knitId}`)}`);
      const tags = data.tags.filter((tag) => !tag.startsWith("knit#")).join(", ");
      console.log(`  data ${knitId.slice(0, 8)} [${tags}]`);
      for (const downstream of data.downstreams) {
        if (shown.has(downstream.run.runId)) continue;
        shown.add(downstream.run.runId);
        const run = await api(base, `/runs/${downstream.run.runId}`);
        console.log(`    └─ ${downstream.mountpoint.path} → run ${run.runId.slice(0, 8)} (${run.plan.image} ${(run.plan.entrypoint ?? []).join(" ")}) ${run.status}`);
        for (const output of run.outputs) {
          console.log(`         └─ ${output.path} → data ${output.knitId.slice(0, 8)}`);
          next.push(output.knitId);
        }
        if (run.log) console.log(`         └─ (log) → data ${run.log.knitId.slice(0, 8)}`);
      }
    }
    knitIds = next;
  }
}

async function main() {
  ensureBuilt();
  const { parse } = await import(pathToFileURL(join(ROOT, "node_modules", "yaml", "dist", "index.js")).href);
  const engine = await ensureEngine();
  say(`container engine: ${engine.socket} (${engine.cli})`);
  await ensureImage(engine.cli, engine.socket);

  const home = mkdtempSync(join(tmpdir(), "knitfab-demo-"));
  const port = portArg ?? (await freePort());
  const base = `http://127.0.0.1:${port}/api`;
  say(`starting knitfab serve (embedded database, home ${home}, port ${port})`);
  const child = spawn(process.execPath, [join(ROOT, "packages", "server", "bin", "knitfab.js"), "serve", "--home", home, "--port", String(port)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DOCKER_HOST: `unix://${engine.socket}` },
  });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    if (!keep) rmSync(home, { recursive: true, force: true });
    else say(`kept ${home}`);
  };
  process.on("SIGINT", () => void stop().then(() => process.exit(130)));
  try {
    await waitForServer(base, child);
    const plans = [];
    for (const name of ["train", "validate"]) {
      const spec = parse(readFileSync(join(EXAMPLE, `${name}.plan.yaml`), "utf8"));
      const plan = await api(base, "/plans/", { method: "POST", body: JSON.stringify(spec) });
      plans.push({ name, planId: plan.planId });
      say(`applied plan ${name}: ${plan.planId}`);
    }
    const dataset = await pushFolder(base, join(EXAMPLE, "dataset"), ["project:knitfab-demo", "type:dataset"]);
    say(`pushed example dataset: ${dataset}`);
    const started = Date.now();
    const runs = await waitForRuns(base, plans);
    const failed = runs.filter((run) => run.status !== "done");
    await printLineage(base, dataset);
    const validate = runs.find((run) => run.plan.planId === plans[1].planId);
    if (validate) {
      const log = await fetch(`${base}/runs/${validate.runId}/log`).then((response) => response.text());
      console.log(`\nLog of the validate run:\n${log.trimEnd().replace(/^/gm, "  | ")}`);
    }
    if (failed.length > 0) fail(`${failed.length} run(s) failed; see their exit records above`);
    say(`pipeline finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await stop();
  }
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));

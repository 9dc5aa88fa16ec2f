/**
 * Real `knitfab serve` processes (the built binary) for the tests that need whole processes: the
 * CLI and console end-to-end tests, and the server's system tests (kill -9, replicas). In-process
 * servers are in test-server.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@knitfab/testing/free-port";

/** The built server binary (`npm run build`). */
export const KNITFAB_BINARY = fileURLToPath(new URL("../dist/bin/knitfab.js", import.meta.url));
const BIN = fileURLToPath(new URL("../bin/knitfab.js", import.meta.url));

/** Engine timings as environment variables: short leases so a killed process's work is taken over within seconds. */
export const FAST_ENV = {
  KNITFAB_LEASE_MS: "2000",
  KNITFAB_WATCH_DEBOUNCE_MS: "2000",
  KNITFAB_HOOK_RETRY_MS: "200",
  KNITFAB_ERROR_RETRY_MS: "500",
  KNITFAB_HOUSEKEEPING_MS: "1000",
  KNITFAB_PARTIAL_GRACE_MS: "1000",
  KNITFAB_UPLOAD_RECHECK_MS: "500",
};

export interface ServeProcessOptions {
  /** serve this existing home; it stays on stop (its owner removes it). Default: a new temporary home, removed on stop. */
  home?: string;
  /** PostgreSQL to use; default the home's embedded PGlite */
  databaseUrl?: string;
  /** default: a free port */
  port?: number;
  /** environment of the process, over this process's own */
  env?: NodeJS.ProcessEnv;
  /** further `knitfab serve` arguments (--auth, --tls-*, …) */
  args?: string[];
  /** folder of a web console to serve at `/` */
  consoleDir?: string;
  /** `--log-level`; default off */
  logLevel?: string;
  /** short engine timings (FAST_ENV) */
  fastEngine?: boolean;
}

export interface ServeProcess {
  /** `http(s)://127.0.0.1:PORT` */
  url: string;
  apiRoot: string;
  home: string;
  /** HOME/handout/knitprofile, for `knit init` */
  handout: string;
  child: ChildProcess;
  /** the last 20 kB of the process's stdout and stderr */
  output: () => string;
  /** SIGTERM (SIGKILL after 10 s), then removes the home if the harness made it */
  stop: () => Promise<void>;
}

/** Starts `knitfab serve` and resolves once it listens and has written the handout for its port. */
export async function spawnServe(options: ServeProcessOptions = {}): Promise<ServeProcess> {
  if (!existsSync(KNITFAB_BINARY)) throw new Error(`${KNITFAB_BINARY} is missing: run "npm run build" at the repository root first`);
  const ownHome = options.home === undefined;
  const home = options.home ?? (await mkdtemp(join(tmpdir(), "knitfab-serve-")));
  const port = options.port ?? (await freePort());
  const args = [
    BIN, "serve", "--home", home, "--port", String(port), "--log-level", options.logLevel ?? "off",
    ...(options.databaseUrl === undefined ? [] : ["--database-url", options.databaseUrl]),
    ...(options.consoleDir === undefined ? [] : ["--console", options.consoleDir]),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...(options.fastEngine ? FAST_ENV : {}), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const output = () => log;
  const handout = join(home, "handout", "knitprofile");
  const stop = async () => {
    await stopGently({ child });
    if (ownHome) await rm(home, { recursive: true, force: true });
  };
  try {
    const apiRoot = await waitUntilServing(child, port, handout, output);
    return { url: apiRoot.replace(/\/api$/, ""), apiRoot, home, handout, child, output, stop };
  } catch (error) {
    await killHard({ child });
    if (ownHome) await rm(home, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Serving means: the port accepts connections and the handout names that port (the server writes it
 * right after it listens; a home shared by replicas has one handout, naming the last one started).
 */
async function waitUntilServing(child: ChildProcess, port: number, handout: string, output: () => string): Promise<string> {
  // A hang guard only, beyond the hooks' own timeouts: a loaded machine may take long to start a process.
  const deadline = Date.now() + 170_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`knitfab serve exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    const apiRoot = /apiRoot:\s*(\S+)/.exec(await readFile(handout, "utf8").catch(() => ""))?.[1];
    if (apiRoot?.includes(`:${port}/`) && (await accepts(port))) return apiRoot;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`knitfab serve did not answer on port ${port} within 170 s:\n${output()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** SIGKILL, as a crash. */
export async function killHard(process: Pick<ServeProcess, "child">): Promise<void> {
  const { child } = process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** SIGTERM, and SIGKILL if the process is still there after 10 s. */
export async function stopGently(process: Pick<ServeProcess, "child">): Promise<void> {
  const { child } = process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

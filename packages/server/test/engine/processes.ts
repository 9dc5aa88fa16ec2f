/** Real `knitfab serve` processes (the built binary) for crash and replica tests. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "@knitfab/testing";
import { ROOT } from "./support.js";

const BIN = join(ROOT, "packages/server/bin/knitfab.js");

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

export interface ServeProcess {
  apiRoot: string;
  child: ChildProcess;
  output: () => string;
}

/** Starts `knitfab serve` on PostgreSQL (or on the home's PGlite when `databaseUrl` is undefined). */
export async function spawnServe(home: string, databaseUrl: string | undefined, port?: number, env: Record<string, string> = {}): Promise<ServeProcess> {
  if (!existsSync(join(ROOT, "packages/server/dist/bin/knitfab.js"))) throw new Error("the server is not built; run `npm run build` first");
  const chosen = port ?? (await freePort());
  const database = databaseUrl === undefined ? [] : ["--database-url", databaseUrl];
  const child = spawn(process.execPath, [BIN, "serve", "--home", home, ...database, "--port", String(chosen), "--log-level", "off"], {
    env: { ...process.env, ...FAST_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const apiRoot = `http://127.0.0.1:${chosen}/api`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`knitfab serve exited with ${child.exitCode}: ${output}`);
    if (await fetch(`${apiRoot}/plans/`).then((response) => response.ok, () => false)) return { apiRoot, child, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`knitfab serve did not answer: ${output}`);
}

export async function killHard(process: ServeProcess): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  const exited = new Promise((resolve) => process.child.once("exit", resolve));
  process.child.kill("SIGKILL");
  await exited;
}

export async function stopGently(process: ServeProcess): Promise<void> {
  if (process.child.exitCode !== null || process.child.signalCode !== null) return;
  const exited = new Promise((resolve) => process.child.once("exit", resolve));
  process.child.kill("SIGTERM");
  await exited;
}

/** Content folders and partial uploads present in a home's local data store. */
export async function storeContents(home: string): Promise<{ data: string[]; partials: string[]; sealed: string[] }> {
  const list = (dir: string) => readdir(join(home, "data", dir)).catch(() => [] as string[]);
  return { data: await list("data"), partials: await list(".partial"), sealed: await list(".sealed") };
}

export const readText = (home: string, knitId: string, file: string) => readFile(join(home, "data", "data", knitId, file), "utf8");

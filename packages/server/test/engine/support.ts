/**
 * Shared setup of the engine tests: a real Podman (Docker Engine API service and the offline busybox
 * image, from scripts/), real servers over real HTTP on PGlite or PostgreSQL, and small API helpers.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Backend } from "@knitfab/db";
import type { EngineOptions } from "@knitfab/engine";
import type { Logger } from "knitfab";
import { callJson, rawTarGz, startTestServer, uploadTarGz, type TestServer, type TestServerOptions } from "@knitfab/testing";

export const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
export const IMAGE = "localhost/busybox:test";
export type Json = Record<string, unknown>;

/** Engine timings for tests: short leases and rechecks, so recovery paths run within seconds. */
export const FAST_ENGINE: Partial<EngineOptions> = {
  leaseMs: 3_000,
  watchDebounceMs: 2_000,
  pendingRecheckMs: 300,
  hookRetryMs: 200,
  errorRetryMs: 500,
  housekeepingMs: 1_000,
  partialGraceMs: 1_000,
  uploadRecheckMs: 500,
};

let podmanSocket: string | undefined;

/** Starts the Podman API service (if needed) and builds the test image; points DOCKER_HOST at the service. */
export async function preparePodman(): Promise<string> {
  if (podmanSocket) return podmanSocket;
  try {
    await run("podman", ["--version"]);
  } catch (error) {
    throw new Error(`Podman is not installed; run scripts/install-podman.sh as root, then rerun the tests (${String(error)})`);
  }
  const service = await run("sh", [join(ROOT, "scripts/podman-service.sh")]);
  podmanSocket = service.stdout.trim().split("\n").pop() ?? "";
  await run("sh", [join(ROOT, "scripts/make-test-image.sh"), IMAGE]);
  process.env.DOCKER_HOST = `unix://${podmanSocket}`;
  return podmanSocket;
}

export type EngineServer = TestServer;

/** A real server with the given roles (default all) on a fresh database of `backend`, with a fast engine. */
export async function startEngineServer(
  backend: Backend,
  options: Pick<TestServerOptions, "role" | "hooks" | "databaseUrl" | "home" | "logger" | "flags"> & { engine?: Partial<EngineOptions> } = {},
): Promise<EngineServer> {
  return startTestServer(backend, {
    ...options,
    engine: { ...FAST_ENGINE, ...options.engine },
    verbose: Boolean(process.env.KNITFAB_TEST_VERBOSE),
  });
}

/** Uploads files as a new Data and tags it; returns its knitId. */
export async function pushData(apiRoot: string, files: { name: string; content: string }[], tags: string[]): Promise<string> {
  const result = await uploadTarGz(apiRoot, Readable.from([rawTarGz(files)]));
  if (result.status !== 200) throw new Error(`upload failed: ${result.status} ${JSON.stringify(result.body)}`);
  const knitId = String((result.body as Json).knitId);
  const tagged = await callJson(`${apiRoot}/data/${knitId}`, { method: "PUT", body: { add: tags } });
  if (tagged.status !== 200) throw new Error(`tagging failed: ${tagged.status} ${tagged.text}`);
  return knitId;
}

export async function applyPlan(apiRoot: string, body: Json): Promise<string> {
  const response = await callJson<Json>(`${apiRoot}/plans`, { method: "POST", body });
  if (response.status !== 200) throw new Error(`plan apply failed: ${response.status} ${response.text}`);
  return String(response.body.planId);
}

/** A plan running a shell script in the busybox image. */
export function shellPlan(script: string, mounts: { inputs?: Json[]; outputs?: Json[]; log?: Json | null; extra?: Json }): Json {
  return {
    image: IMAGE,
    entrypoint: ["sh", "-c", script],
    inputs: mounts.inputs ?? [],
    outputs: mounts.outputs ?? [],
    ...(mounts.log === null ? {} : { log: mounts.log ?? { tags: ["type:log"] } }),
    resources: { cpu: "0.5", memory: "256Mi" },
    ...mounts.extra,
  };
}

/** Polls the runs of a plan until `done` says so (bounded; the bound is a hang guard, not a verdict). */
export async function waitForRuns(
  apiRoot: string,
  planId: string,
  done: (runs: Json[]) => boolean,
  timeoutMs = 60_000,
): Promise<Json[]> {
  const deadline = Date.now() + timeoutMs;
  let runs: Json[] = [];
  while (Date.now() < deadline) {
    runs = (await callJson<Json[]>(`${apiRoot}/runs?plan=${planId}`)).body ?? [];
    if (done(runs)) return runs;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`runs of plan ${planId} did not reach the expected state in time: ${JSON.stringify(runs.map((r) => [r.runId, r.status, r.exit]))}`);
}

export const allFinished = (count: number) => (runs: Json[]) =>
  runs.length >= count && runs.every((run) => run.status === "done" || run.status === "failed");

export async function getRun(apiRoot: string, runId: string): Promise<Json> {
  return (await callJson<Json>(`${apiRoot}/runs/${runId}`)).body;
}

export async function runLog(apiRoot: string, runId: string, follow = false): Promise<{ status: number; text: string }> {
  const response = await fetch(`${apiRoot}/runs/${runId}/log${follow ? "?follow" : ""}`);
  return { status: response.status, text: await response.text() };
}

/** Names of worker containers the engine can see for the given run ids. */
export async function existingWorkers(runIds: readonly string[]): Promise<string[]> {
  const listed = await run("podman", ["ps", "-a", "--format", "{{.Names}}"]);
  const names = new Set(listed.stdout.split("\n").map((line) => line.trim()));
  return runIds.map((id) => `worker-run-${id}`).filter((name) => names.has(name));
}

/**
 * Worker containers still present after waiting (bounded) for their removal: exited workers are
 * removed just after their run is recorded, so they may outlive the run's end by a moment.
 */
export async function workersLeftAfterCleanup(runIds: readonly string[], timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = await existingWorkers(runIds);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = await existingWorkers(runIds);
  }
  return left;
}

/** A server logger that keeps every message (errors with their error's text), for asserting on what the server says. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const text = (error: unknown) => (error instanceof Error ? ` ${error.message}` : error === undefined ? "" : ` ${String(error)}`);
  return {
    lines,
    logger: {
      info: (message) => lines.push(`info: ${message}`),
      warn: (message) => lines.push(`warn: ${message}`),
      error: (message, error) => lines.push(`error: ${message}${text(error)}`),
    },
  };
}

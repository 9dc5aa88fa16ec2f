/**
 * What the tests that run the engine share, whether they drive it directly (packages/engine/test)
 * or through a server (knitfab/test-support): fast timings, a shell plan, a logger that keeps lines.
 */
import { IMAGE } from "./podman.js";

export type Json = Record<string, unknown>;

/** Engine timings for tests (a Partial<EngineOptions>): short leases and rechecks, so recovery paths run within seconds. */
export const FAST_ENGINE = {
  leaseMs: 3_000,
  watchDebounceMs: 2_000,
  pendingRecheckMs: 300,
  hookRetryMs: 200,
  errorRetryMs: 500,
  housekeepingMs: 1_000,
  partialGraceMs: 1_000,
  uploadRecheckMs: 500,
} as const;

/** A plan (its wire JSON) running a shell script in the busybox image. */
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

/** For waiting on runs: at least `count` runs, all of them done or failed. */
export const allFinished = (count: number) => (runs: readonly { status?: unknown }[]) =>
  runs.length >= count && runs.every((run) => run.status === "done" || run.status === "failed");

/** A logger (the server's and the engine's shape) that keeps every message, errors with their error's text, for asserting on what was said. */
export function captureLogger(): {
  logger: { info(message: string): void; warn(message: string): void; error(message: string, error?: unknown): void };
  lines: string[];
} {
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

/**
 * The log sidecar's work (`knitfab nurse`, spec/loops.md §8.2): inside the worker's pod, follow the
 * log of the task's container through the API and write it into the log Data's file, until the
 * container has ended and all of its log is written.
 *
 * The log API serves a container's log from its first byte on every request, so a follow that is
 * cut (the connection through the API server reset, a kubelet restarting) is resumed by reading
 * again and skipping the bytes already written: the file gets every byte once, in order. The count
 * starts at the file's size, so a nurse started again (its container restarted) continues the file
 * rather than writing it twice. This holds while the node keeps the container's whole log (a
 * kubelet rotating a container's log past its size limit drops the oldest bytes; they are then
 * missing from a re-read, and the resumed file would skip as many newer ones).
 */
import { open, type FileHandle } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, Log, type KubeConfig } from "@kubernetes/client-node";
import { statusOf } from "./api-errors.js";
import { endWhenSourceBreaks } from "./piped-log.js";

/** Where the followed container is in its life. */
export type ContainerPhase = "waiting" | "running" | "terminated" | "gone";

/** The container's log and state, as the nurse needs them; `kubernetesLogSource` is the real one. */
export interface ContainerLogSource {
  phase(): Promise<ContainerPhase>;
  /**
   * Reads the container's log from its first byte, passing each chunk on in order; with `follow`
   * until the container ends (or the stream is cut), else what there is now. Resolves when the
   * stream ends, whatever the reason; rejects when it could not be opened or broke.
   */
  read(follow: boolean, onChunk: (chunk: Buffer) => Promise<void>, signal: AbortSignal): Promise<void>;
}

export interface NurseLogOptions {
  /** How often to look again while the container waits to start, and the first retry delay (default 500 ms). */
  pollMs?: number;
  /** Failed reads in a row after which the nurse gives up (default 20, with a growing delay up to 5 s). */
  maxFailures?: number;
  /** Ends the work early (SIGTERM): what was written stays. */
  signal?: AbortSignal;
  /** Told about each failure it retries after. */
  onRetry?: (error: unknown, failures: number) => void;
}

export interface NurseResult {
  /** Bytes in the file at the end. */
  bytes: number;
  /** How the work ended: the log is complete, the pod went away, or the nurse was stopped. */
  ended: "complete" | "pod-gone" | "stopped";
}

/** A file written from its current end (what is there already counts as written). */
export interface LogFile {
  /** Bytes in the file before the nurse writes. */
  readonly size: number;
  append(chunk: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * Copies the container's log into `file` (see the module comment). Resolves once the container has
 * ended and its whole log is in the file, or the pod is gone; rejects after `maxFailures` failed
 * reads in a row.
 */
export async function nurseLog(source: ContainerLogSource, file: LogFile, options: NurseLogOptions = {}): Promise<NurseResult> {
  const pollMs = options.pollMs ?? 500;
  const maxFailures = options.maxFailures ?? 20;
  const signal = options.signal ?? new AbortController().signal;
  let written = file.size;
  let failures = 0;
  const stopped = () => ({ bytes: written, ended: "stopped" as const });
  for (;;) {
    if (signal.aborted) return stopped();
    let phase: ContainerPhase;
    try {
      phase = await source.phase();
    } catch (error) {
      failures = await failed(error, failures, maxFailures, pollMs, signal, options.onRetry);
      continue;
    }
    if (phase === "gone") return { bytes: written, ended: "pod-gone" };
    // The log API refuses a container that has not started: wait for it.
    if (phase === "waiting") {
      await sleep(pollMs, undefined, { signal }).catch(() => undefined);
      continue;
    }
    // Running: follow. Ended: one more whole read, for what a cut follow missed; then done.
    const follow = phase === "running";
    let skip = written;
    try {
      await source.read(
        follow,
        async (chunk) => {
          if (skip >= chunk.length) {
            skip -= chunk.length;
            return;
          }
          const fresh = chunk.subarray(skip);
          skip = 0;
          await file.append(fresh);
          written += fresh.length;
        },
        signal,
      );
      failures = 0;
    } catch (error) {
      if (signal.aborted) return stopped();
      failures = await failed(error, failures, maxFailures, pollMs, signal, options.onRetry);
      continue;
    }
    if (!follow) return { bytes: written, ended: "complete" };
  }
}

/** Counts a failure and waits before the next try; throws the error once there were too many in a row. */
async function failed(error: unknown, failures: number, maxFailures: number, pollMs: number, signal: AbortSignal, onRetry: NurseLogOptions["onRetry"]): Promise<number> {
  const count = failures + 1;
  if (count >= maxFailures) throw error;
  onRetry?.(error, count);
  await sleep(Math.min(pollMs * 2 ** (count - 1), 5_000), undefined, { signal }).catch(() => undefined);
  return count;
}

/** The log file, opened for appending (made when missing). */
export async function openLogFile(path: string): Promise<LogFile> {
  const handle: FileHandle = await open(path, "a");
  const { size } = await handle.stat();
  return {
    size,
    async append(chunk) {
      await handle.write(chunk);
    },
    async close() {
      await handle.sync().catch(() => undefined);
      await handle.close();
    },
  };
}

/** The named container of a pod, through the API (needs `get` on pods and pods/log). */
export function kubernetesLogSource(config: KubeConfig, namespace: string, pod: string, container: string): ContainerLogSource {
  const core = config.makeApiClient(CoreV1Api);
  const log = new Log(config);
  return {
    async phase() {
      let current;
      try {
        current = await core.readNamespacedPod({ name: pod, namespace });
      } catch (error) {
        if (statusOf(error) === 404) return "gone";
        throw error;
      }
      const status = current.status?.containerStatuses?.find((candidate) => candidate.name === container);
      if (status?.state?.terminated) return "terminated";
      if (status?.state?.running) return "running";
      // The pod ended without the container ever running (an init container failed): nothing will come.
      if (current.status?.phase === "Succeeded" || current.status?.phase === "Failed") return "terminated";
      return "waiting";
    },
    async read(follow, onChunk, signal) {
      const stream = new PassThrough();
      const finish = () => {
        if (!stream.writableEnded) stream.end();
      };
      // The library pipes the response into `stream`; a response that breaks off (the API server
      // gone) is ended here, what came is passed on, and the read counts as broken (piped-log.ts).
      stream.on("unpipe", finish);
      const cut = endWhenSourceBreaks(stream);
      // Chunks are written one at a time, in order: the stream waits while a write is pending.
      const done = (async () => {
        for await (const chunk of stream) await onChunk(chunk as Buffer);
      })();
      let controller: AbortController;
      try {
        controller = await log.log(namespace, pod, container, stream, { follow });
      } catch (error) {
        finish();
        await done.catch(() => undefined);
        throw error;
      }
      const abort = () => {
        controller.abort();
        finish();
      };
      signal.addEventListener("abort", abort, { once: true });
      try {
        await done;
      } finally {
        signal.removeEventListener("abort", abort);
        // Ended, or the file refused a chunk: the request is not needed any more.
        controller.abort();
      }
      // A broken read is a failure: tried again after a delay, not at once while the API server is away.
      const broken = cut.broken();
      if (broken && !signal.aborted) throw broken;
    },
  };
}

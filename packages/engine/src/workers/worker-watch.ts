import type { DataStore, WorkerRuntime } from "@knitfab/drivers";
import { writeLogFile } from "./log-files.js";

/**
 * What this process keeps an eye on for running workers: an exit watcher per run (so the end of a
 * worker wakes the loops at once instead of at the next poll) and a log recorder per run (so the
 * log Data grows while the worker runs, and a crash loses little). Both are conveniences: losing
 * them (a crash) only delays things until the polling fallback, and finishing writes the full log.
 */
export interface WorkerWatch {
  /** Watches the worker's exit and calls `onExit` once; no-op when already watched here. */
  watch(runId: string, onExit: () => Promise<void>): void;
  /** Records the worker's output into the log Data; no-op when already recording here. */
  record(runId: string, logKnitId: string): void;
  /** Stops watching and recording the run (before the worker is removed). */
  forget(runId: string): Promise<void>;
  close(): Promise<void>;
}

export function createWorkerWatch(runtime: WorkerRuntime, store: DataStore, onError: (message: string, error: unknown) => void): WorkerWatch {
  const watchers = new Map<string, AbortController>();
  const recorders = new Map<string, { abort: AbortController; done: Promise<void> }>();

  return {
    watch(runId, onExit) {
      if (watchers.has(runId) || !runtime.waitForExit) return;
      const abort = new AbortController();
      watchers.set(runId, abort);
      void runtime
        .waitForExit(runId, abort.signal)
        .then(async () => {
          if (!abort.signal.aborted) await onExit();
        })
        .catch((error: unknown) => {
          if (!abort.signal.aborted) onError(`watching the worker of run ${runId} failed; the loop will look again later`, error);
        })
        .finally(() => {
          if (watchers.get(runId) === abort) watchers.delete(runId);
        });
    },
    record(runId, logKnitId) {
      if (recorders.has(runId)) return;
      const abort = new AbortController();
      const done = (async () => {
        const stream = await runtime.logs(runId, { follow: true });
        if (!stream || abort.signal.aborted) return;
        abort.signal.addEventListener("abort", () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(), { once: true });
        await writeLogFile(store, logKnitId, stream, abort.signal);
      })()
        .catch((error: unknown) => {
          if (!abort.signal.aborted) onError(`recording the log of run ${runId} failed; finishing writes the full log`, error);
        })
        .finally(() => {
          if (recorders.get(runId)?.abort === abort) recorders.delete(runId);
        });
      recorders.set(runId, { abort, done });
    },
    async forget(runId) {
      watchers.get(runId)?.abort();
      watchers.delete(runId);
      const recorder = recorders.get(runId);
      recorders.delete(runId);
      if (recorder) {
        recorder.abort.abort();
        await recorder.done;
      }
    },
    async close() {
      for (const abort of watchers.values()) abort.abort();
      watchers.clear();
      const pending = [...recorders.values()];
      recorders.clear();
      for (const recorder of pending) recorder.abort.abort();
      await Promise.all(pending.map((recorder) => recorder.done));
    },
  };
}

import { Readable } from "node:stream";
import type { DataStore } from "@knitfab/drivers";
import type { EngineContext } from "../engine-context.js";

/** The one file of a log Data: the worker's stdout and stderr interleaved (as the reference's `log`). */
export const LOG_FILE = "log";

/** Creates the (empty) log file, so the stored log reads as empty rather than absent once a run starts. */
export async function touchLogFile(store: DataStore, logKnitId: string): Promise<void> {
  await store.writeFile(logKnitId, LOG_FILE, Readable.from([]));
}

/**
 * Writes a whole log stream into the log file from its start. Used both live (following the worker)
 * and at the end (the complete log, from the engine's copy): the content is the same bytes from
 * offset 0, so a late or repeated writer only ever rewrites what is there.
 */
export async function writeLogFile(store: DataStore, logKnitId: string, source: NodeJS.ReadableStream, signal?: AbortSignal): Promise<void> {
  await store.writeFile(logKnitId, LOG_FILE, source, signal ? { signal } : {});
}

/**
 * Whether the run's worker writes the log Data itself (a log sidecar in the worker): then the engine
 * must not write it too, neither live nor at the end, as two writers of one file would mix it up.
 */
export function workerRecordsLog(context: Pick<EngineContext, "runtime" | "store">, logKnitId: string): boolean {
  return context.runtime.recordsLog?.(context.store.volumeOf(logKnitId)) ?? false;
}

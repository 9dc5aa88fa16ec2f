import { createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { DataStore } from "@knitfab/drivers";

/** The one file of a log Data: the worker's stdout and stderr interleaved (as the reference's `log`). */
export const LOG_FILE = "log";

export function logFilePath(store: DataStore, logKnitId: string): string {
  return join(store.pathOf(logKnitId), LOG_FILE);
}

/** Creates the (empty) log file if missing, so the stored log reads as empty rather than absent once a run starts. */
export async function touchLogFile(store: DataStore, logKnitId: string): Promise<void> {
  const handle = await open(logFilePath(store, logKnitId), "a");
  await handle.close();
}

/**
 * Writes a whole log stream into the log file from its start. Used both live (following the worker)
 * and at the end (the complete log, from the engine's copy): the content is the same bytes from
 * offset 0, so a late or repeated writer only ever rewrites what is there.
 */
export async function writeLogFile(store: DataStore, logKnitId: string, source: NodeJS.ReadableStream, signal?: AbortSignal): Promise<void> {
  const target = createWriteStream(logFilePath(store, logKnitId), { flags: "w" });
  await pipeline(source, target, ...(signal ? [{ signal }] : []));
}

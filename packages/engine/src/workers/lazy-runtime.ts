import type { DataVolume, WorkerRuntime } from "@knitfab/drivers";

/**
 * A runtime created on first use, and again on the next use if creating it failed: the server starts
 * (and serves the API) without a container engine, runs wait with a clear error in the log, and they
 * proceed as soon as an engine appears. Creating may be asynchronous, so a runtime's client library
 * is loaded only when the first run needs it, not while the server starts. `recordsLog` answers
 * WorkerRuntime.recordsLog without making the runtime (it is decided from configuration alone).
 */
export function lazyRuntime(
  name: string,
  create: () => WorkerRuntime | Promise<WorkerRuntime>,
  recordsLog?: (log: DataVolume) => boolean,
): WorkerRuntime {
  let runtime: Promise<WorkerRuntime> | undefined;
  const get = (): Promise<WorkerRuntime> =>
    (runtime ??= Promise.resolve()
      .then(create)
      .catch((error: unknown) => {
        runtime = undefined;
        throw error;
      }));
  return {
    name,
    start: async (spec) => (await get()).start(spec),
    unplaceable: async (onNode) => (await get()).unplaceable(onNode),
    inspect: async (runId) => (await get()).inspect(runId),
    recordsLog: (log) => recordsLog?.(log) ?? false,
    logs: async (runId, options) => (await get()).logs(runId, options),
    remove: async (runId) => (await get()).remove(runId),
    listWorkers: async () => (await get()).listWorkers(),
    waitForExit: async (runId, signal) => {
      const current = await get();
      if (!current.waitForExit) throw new Error(`the ${name} runtime cannot wait for a worker's exit`);
      return current.waitForExit(runId, signal);
    },
    async close() {
      const created = await runtime?.catch(() => undefined);
      await created?.close();
    },
  };
}

import type { WorkerRuntime } from "@knitfab/drivers";

/**
 * A runtime created on first use, and again on the next use if creating it failed: the server starts
 * (and serves the API) without a container engine, runs wait with a clear error in the log, and they
 * proceed as soon as an engine appears.
 */
export function lazyRuntime(name: string, create: () => WorkerRuntime): WorkerRuntime {
  let runtime: WorkerRuntime | undefined;
  const get = (): WorkerRuntime => (runtime ??= create());
  return {
    name,
    start: (spec) => get().start(spec),
    unplaceable: (onNode) => get().unplaceable(onNode),
    inspect: (runId) => get().inspect(runId),
    recordsLog: (log) => get().recordsLog?.(log) ?? false,
    logs: (runId, options) => get().logs(runId, options),
    remove: (runId) => get().remove(runId),
    listWorkers: () => get().listWorkers(),
    waitForExit: (runId, signal) => {
      const current = get();
      if (!current.waitForExit) return Promise.reject(new Error(`the ${name} runtime cannot wait for a worker's exit`));
      return current.waitForExit(runId, signal);
    },
    async close() {
      await runtime?.close();
    },
  };
}

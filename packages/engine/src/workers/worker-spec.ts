import type { RunRecord, WorkerContext } from "@knitfab/db";
import type { DataStore, NodePlacement, WorkerSpec } from "@knitfab/drivers";

/**
 * The worker of a run: inputs read-only at their paths, outputs writable; the log is captured, not
 * mounted in the task (a runtime with a log sidecar mounts it there, see WorkerRuntime.recordsLog).
 * Volumes come from the store and go to the runtime as they are; placement (on_node) and
 * the service account are the runtime's to honour.
 */
export function workerSpecOf(run: RunRecord, context: WorkerContext, store: DataStore, env: Record<string, string>): WorkerSpec {
  return {
    runId: run.runId,
    planId: run.plan.planId,
    image: context.image,
    entrypoint: context.entrypoint,
    args: context.args,
    env: { ...context.env, ...env },
    mounts: [
      ...run.inputs.map((input) => ({ volume: store.volumeOf(input.knitId), target: input.mountpoint.path, readOnly: true })),
      ...run.outputs.map((output) => ({ volume: store.volumeOf(output.knitId), target: output.mountpoint.path, readOnly: false })),
    ],
    resources: context.resources,
    labels: { "knitfab/worker.plan": run.plan.planId },
    ...(context.serviceAccount ? { serviceAccount: context.serviceAccount } : {}),
    onNode: placementOf(context.onNode),
    ...(run.log ? { log: store.volumeOf(run.log.knitId) } : {}),
  };
}

/** The plan's on_node entries, by mode. */
function placementOf(onNode: WorkerContext["onNode"]): NodePlacement {
  const placement: NodePlacement = { may: [], prefer: [], must: [] };
  for (const { mode, key, value } of onNode) placement[mode].push({ key, value });
  return placement;
}

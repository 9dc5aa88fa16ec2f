import type { RunRecord, WorkerContext } from "@knitfab/db";
import type { DataStore, WorkerSpec } from "@knitfab/drivers";

/** The worker of a run: inputs read-only at their paths, outputs writable; the log is captured, not mounted. */
export function workerSpecOf(run: RunRecord, context: WorkerContext, store: DataStore, env: Record<string, string>): WorkerSpec {
  return {
    runId: run.runId,
    planId: run.plan.planId,
    image: context.image,
    entrypoint: context.entrypoint,
    args: context.args,
    env: { ...context.env, ...env },
    mounts: [
      ...run.inputs.map((input) => ({ source: store.pathOf(input.knitId), target: input.mountpoint.path, readOnly: true })),
      ...run.outputs.map((output) => ({ source: store.pathOf(output.knitId), target: output.mountpoint.path, readOnly: false })),
    ],
    resources: context.resources,
    labels: { "knitfab/worker.plan": run.plan.planId },
  };
}

// Builders of API-shaped Data and Run details for unit tests of lineage (domain, console). Not shipped.
import type { DataDetail, PlanSummary, RunDetail, RunStatus } from "@knitfab/api";

const uploadPlan: PlanSummary = { planId: "plan-upload", name: "knit#uploaded" };
const trainPlan: PlanSummary = { planId: "plan-train", image: "train:v1" };

export function run(runId: string, inputs: string[], outputs: string[], log?: string, status: RunStatus = "done"): RunDetail {
  return {
    runId,
    status,
    updatedAt: "2024-03-06T09:25:16.586+00:00",
    plan: inputs.length === 0 ? uploadPlan : trainPlan,
    inputs: inputs.map((knitId, i) => ({ path: `/in/${i}`, tags: [], knitId })),
    outputs: outputs.map((knitId, i) => ({ path: inputs.length === 0 ? "/upload" : `/out/${i}`, tags: [], knitId })),
    log: log === undefined ? null : { tags: [], knitId: log },
  };
}

/** A data item consistent with the given runs (its upstream is the run that outputs it). */
export function dataOf(knitId: string, runs: readonly RunDetail[]): DataDetail {
  const producer = runs.find((r) => r.outputs.some((o) => o.knitId === knitId) || r.log?.knitId === knitId);
  if (!producer) throw new Error(`no producer for ${knitId}`);
  const output = producer.outputs.find((o) => o.knitId === knitId);
  const summary = ({ runId, status, updatedAt, plan }: RunDetail) => ({ runId, status, updatedAt, plan });
  return {
    knitId,
    tags: [`knit#id:${knitId}`],
    upstream: output
      ? { mountpoint: { path: output.path, tags: [] }, run: summary(producer) }
      : { log: { tags: [] }, run: summary(producer) },
    downstreams: runs
      .filter((r) => r.inputs.some((i) => i.knitId === knitId))
      .map((r) => ({ mountpoint: { path: r.inputs.find((i) => i.knitId === knitId)?.path ?? "", tags: [] }, run: summary(r) })),
    nomination: [],
  };
}

/**
 * A wide pipeline: one uploaded root data item feeding `width` runs (each also reading its own
 * uploaded item) which each write one output and one log. About 5 × width nodes.
 */
export function widePipeline(width: number): { runs: RunDetail[]; data: DataDetail[] } {
  const runs: RunDetail[] = [run("upload-root", [], ["root"])];
  for (let i = 0; i < width; i++) {
    runs.push(run(`upload-${i}`, [], [`item-${i}`]));
    runs.push(run(`train-${i}`, ["root", `item-${i}`], [`out-${i}`], `log-${i}`));
  }
  const knitIds = runs.flatMap((r) => [...r.outputs.map((o) => o.knitId), ...(r.log ? [r.log.knitId] : [])]);
  return { runs, data: knitIds.map((id) => dataOf(id, runs)) };
}

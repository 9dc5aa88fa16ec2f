import type { OnNodeMode } from "@knitfab/domain";

/** What a plan asks of where and as whom its workers run, as applied (before any run exists). */
export interface PlanWorkerSettings {
  serviceAccount: string | null;
  onNode: readonly { mode: OnNodeMode; key: string; value: string }[];
}

/** A runtime's notes on the settings it cannot honour, said when a plan is applied; none when it honours all. */
export type UnhonouredPlanSettings = (plan: PlanWorkerSettings) => string[];

/**
 * What a plan asks that the Docker runtime cannot give, said when the plan is applied so that nobody
 * believes it holds: a service account (workers get no Kubernetes credentials here) and `prefer`
 * entries (with one machine there is nothing to choose between: runs run here, with the label or
 * not). `must` is honoured (runs wait for a machine with the label) and `may` needs nothing here.
 */
export function dockerUnhonouredPlanSettings(plan: PlanWorkerSettings): string[] {
  const notes: string[] = [];
  if (plan.serviceAccount) {
    notes.push(
      `service_account "${plan.serviceAccount}" is recorded but not used: the docker runtime gives workers no Kubernetes service account or credentials`,
    );
  }
  const preferred = plan.onNode.filter((entry) => entry.mode === "prefer").map((entry) => `${entry.key}=${entry.value}`);
  if (preferred.length > 0) {
    notes.push(
      `on_node prefer ${preferred.join(", ")} chooses nothing: the docker runtime runs every worker on its one machine, whatever its labels (use must to require a label)`,
    );
  }
  return notes;
}

import type { OnNodeMode } from "@knitfab/domain";

/**
 * `on_node` on one machine: `must` entries are requirements (values of one key OR'ed, keys AND'ed,
 * as the reference's node affinity); `may` and `prefer` only widen or rank placement, which means
 * nothing with a single machine. Returns the unmet requirements, e.g. ["gpu=a100|h100"].
 */
export function unmetNodeRequirements(onNode: readonly { mode: OnNodeMode; key: string; value: string }[], machine: Record<string, string>): string[] {
  const wanted = new Map<string, string[]>();
  for (const entry of onNode) {
    if (entry.mode !== "must") continue;
    wanted.set(entry.key, [...(wanted.get(entry.key) ?? []), entry.value]);
  }
  const unmet: string[] = [];
  for (const [key, values] of wanted) {
    const have = machine[key];
    if (have === undefined || !values.includes(have)) unmet.push(`${key}=${values.join("|")}`);
  }
  return unmet;
}

export function unmetReason(unmet: readonly string[], machine: Record<string, string>): string {
  const labels = Object.entries(machine).map(([key, value]) => `${key}=${value}`);
  return (
    `waiting: the plan's on_node "must" needs ${unmet.join(", ")}, which this machine does not have ` +
    `(its labels: ${labels.length > 0 ? labels.join(", ") : "none"}). Give the machine the label with ` +
    `--node-label KEY=VALUE or KNITFAB_NODE_LABELS, or abort the run.`
  );
}

/**
 * What a plan asks that the Docker runtime cannot give, said when the plan is applied so that nobody
 * believes it holds: a service account (workers get no Kubernetes credentials here) and `prefer`
 * entries (with one machine there is nothing to choose between: runs run here, with the label or
 * not). `must` is honoured (runs wait for a machine with the label) and `may` needs nothing here.
 */
export function unhonouredPlanSettings(plan: {
  serviceAccount: string | null;
  onNode: readonly { mode: OnNodeMode; key: string; value: string }[];
}): string[] {
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

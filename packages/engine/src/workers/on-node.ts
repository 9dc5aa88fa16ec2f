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

/**
 * Placement on one machine, for runtimes that run every worker where they are (docker): the
 * machine's labels are configured (`--node-label`, KNITFAB_NODE_LABELS), and a plan's on_node
 * `must` entries are requirements on them (values of one key OR'ed, keys AND'ed, as the reference's
 * node affinity); `may` and `prefer` only widen or rank placement, which means nothing with a single
 * machine.
 */
import type { NodeLabel, NodePlacement } from "./worker-runtime.js";

/** The unmet requirements, e.g. ["gpu=a100|h100"]; empty when the machine may run the worker. */
export function unmetNodeRequirements(must: readonly NodeLabel[], machine: Readonly<Record<string, string>>): string[] {
  const wanted = new Map<string, string[]>();
  for (const entry of must) wanted.set(entry.key, [...(wanted.get(entry.key) ?? []), entry.value]);
  const unmet: string[] = [];
  for (const [key, values] of wanted) {
    const have = machine[key];
    if (have === undefined || !values.includes(have)) unmet.push(`${key}=${values.join("|")}`);
  }
  return unmet;
}

/** Why a worker waits, and what to do about it; undefined when this machine may run it. */
export function unplacedReason(onNode: NodePlacement, machine: Readonly<Record<string, string>>): string | undefined {
  const unmet = unmetNodeRequirements(onNode.must, machine);
  if (unmet.length === 0) return undefined;
  const labels = Object.entries(machine).map(([key, value]) => `${key}=${value}`);
  return (
    `waiting: the plan's on_node "must" needs ${unmet.join(", ")}, which this machine does not have ` +
    `(its labels: ${labels.length > 0 ? labels.join(", ") : "none"}). Give the machine the label with ` +
    `--node-label KEY=VALUE or KNITFAB_NODE_LABELS, or abort the run.`
  );
}

// The side panel of a plan-graph group (graph/plan-groups.ts): its plans, and drawing them in place.
import type { PlanGroup } from "../graph/plan-groups.js";
import { href } from "../routing/routes.js";

export const planGroupTitle = (group: PlanGroup) => `${group.plans.length} plans of ${group.label}`;

export function planGroupLines(group: PlanGroup, sourceLabel: string): string[] {
  return [`all ${group.active ? "active" : "inactive"}`, `read ${sourceLabel}`, "click to list · expand in place"];
}

export function PlanGroupPanel({ group, onExpand }: { group: PlanGroup; onExpand: () => void }) {
  return (
    <div data-testid="plan-group-panel">
      <h3>{planGroupTitle(group)}</h3>
      <button type="button" className="primary" onClick={onExpand}>
        Expand all {group.plans.length} plans in place
      </button>
      <ul>
        {group.plans.map((plan) => (
          <li key={plan.planId}>
            <a href={href.plan(plan.planId)} className="mono">
              {plan.planId}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

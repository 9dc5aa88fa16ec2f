// Fetches the whole connected plan graph around one plan, breadth first, a few requests at a time.
import type { PlanDetail } from "@knitfab/api";
import { mapLimit } from "./fetch-limit.js";
import { neighbourPlanIds } from "./plan-graph.js";

export interface PlanLoadResult {
  plans: Map<string, PlanDetail>;
  /** Plans that could not be fetched, with the reason. */
  failures: Map<string, string>;
  truncated: boolean;
}

export async function loadPlanGraph(
  rootPlanId: string,
  getPlan: (planId: string) => Promise<PlanDetail>,
  options: { maxPlans: number; concurrency: number } = { maxPlans: 1000, concurrency: 8 },
): Promise<PlanLoadResult> {
  const plans = new Map<string, PlanDetail>();
  const failures = new Map<string, string>();
  const seen = new Set<string>([rootPlanId]);
  let frontier = [rootPlanId];
  let truncated = false;
  while (frontier.length > 0) {
    const room = options.maxPlans - plans.size;
    if (frontier.length > room) {
      truncated = true;
      frontier = frontier.slice(0, Math.max(room, 0));
    }
    const fetched = await mapLimit(frontier, options.concurrency, async (id) => {
      try {
        return await getPlan(id);
      } catch (error) {
        failures.set(id, error instanceof Error ? error.message : String(error));
        return undefined;
      }
    });
    const nextFrontier: string[] = [];
    for (const plan of fetched) {
      if (!plan) continue;
      plans.set(plan.planId, plan);
      for (const id of neighbourPlanIds(plan)) {
        if (!seen.has(id)) {
          seen.add(id);
          nextFrontier.push(id);
        }
      }
    }
    frontier = nextFrontier;
  }
  return { plans, failures, truncated };
}

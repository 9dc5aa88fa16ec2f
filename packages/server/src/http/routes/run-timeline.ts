import { RUN_TIMELINE_MAX_IDS, RUN_TIMELINE_MAX_RUNS, RUN_TIMELINE_PATH, RunTimeline, RunTimelineQuery } from "@knitfab/api";
import { InputError, formatTimestamp } from "@knitfab/domain";
import { loadRunTimeline } from "@knitfab/db";
import type { AppOptions } from "../app-options.js";
import { jsonResponses, type ApiApp } from "../route-schemas.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The ids of a comma-separated list; a malformed one is a 400 naming it (nothing is looked up). */
function idList(name: "plan" | "run", value: string | undefined): string[] {
  const ids = (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  const bad = ids.find((id) => !UUID.test(id));
  if (bad !== undefined) throw new InputError(`invalid ${name} id: "${bad.slice(0, 80)}"`, { advice: `"${name}" takes ${name} ids (UUIDs), comma-separated.` });
  return ids;
}

/**
 * Our extension (README "Extensions to the API"): runs of plans, or given runs, with when they entered
 * each status, for the console's run timeline (queue time and run time). Reads only.
 */
export async function runTimelineRoutes(app: ApiApp, { database }: AppOptions): Promise<void> {
  app.get(
    RUN_TIMELINE_PATH,
    {
      schema: {
        tags: ["runs (extension)"],
        summary: "Runs with the times they entered each status (extension)",
        querystring: RunTimelineQuery,
        response: jsonResponses(RunTimeline),
      },
    },
    async (request) => {
      const query = request.query;
      const planIds = idList("plan", query.plan);
      const runIds = idList("run", query.run);
      if (planIds.length + runIds.length === 0) {
        throw new InputError("no plan or run given", { advice: 'name plans ("plan=ID,ID") and/or runs ("run=ID,ID").' });
      }
      if (planIds.length + runIds.length > RUN_TIMELINE_MAX_IDS) {
        throw new InputError(`too many ids: ${planIds.length + runIds.length}`, { advice: `ask for at most ${RUN_TIMELINE_MAX_IDS} plans and runs at once.` });
      }
      const limit = query.limit === undefined ? RUN_TIMELINE_MAX_RUNS : Number(query.limit);
      if (limit < 1 || limit > RUN_TIMELINE_MAX_RUNS) {
        throw new InputError(`invalid limit: ${query.limit}`, { advice: `use a limit from 1 to ${RUN_TIMELINE_MAX_RUNS}.` });
      }
      const found = await loadRunTimeline(database.db, { planIds, runIds, limit: limit + 1 });
      return {
        runs: found.slice(0, limit).map((run) => ({
          runId: run.runId,
          planId: run.planId,
          status: run.status,
          createdAt: formatTimestamp(run.createdAt),
          updatedAt: formatTimestamp(run.updatedAt),
          changes: run.changes.map((change) => ({ status: change.status, at: formatTimestamp(change.at) })),
        })),
        truncated: found.length > limit,
      };
    },
  );
}

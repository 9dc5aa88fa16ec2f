import { PrettyQuery, RunDetail, RunDetailList, RunFindQuery, RunIdParams } from "@knitfab/api";
import { FINDABLE_RUN_STATUSES, isFindableRunStatus } from "@knitfab/api/run-statuses";
import { NotFoundError, badRequest } from "@knitfab/domain";
import { abortRun, deleteRun, findRunIds, loadRuns, pendingReasons, readOnOneConnection, retryRun, runDetailJson, tearoffRun } from "@knitfab/db";
import type { AppOptions } from "../app-options.js";
import { jsonResponses, noContentResponses, rawResponses, type ApiApp } from "../route-schemas.js";
import { commaList, parseTimeWindow } from "./query.js";
import { runLogRoute } from "./run-log-route.js";
import { addWarning } from "../warning.js";


export async function runRoutes(app: ApiApp, options: AppOptions): Promise<void> {
  const { database } = options;
  /** what every route on one run takes and answers */
  const oneRun = { params: RunIdParams, querystring: PrettyQuery, response: jsonResponses(RunDetail) };
  const detail = async (runId: string) => {
    const [run] = await loadRuns(database.db, [runId.toLowerCase()]);
    if (!run) throw new NotFoundError();
    return runDetailJson(run);
  };

  app.get("/api/runs/", { schema: { tags: ["runs"], summary: "Find runs", querystring: RunFindQuery, response: jsonResponses(RunDetailList) } }, async (request) => {
    const query = request.query;
    const statuses = commaList(query.status);
    for (const status of statuses) {
      if (!isFindableRunStatus(status)) {
        // the reference's advice line first (it names only some statuses), then the whole list
        throw badRequest(
          `"status" should be one of "waiting", "deactivated", "starting", "running", "done" or "failed"\n` +
            `(any of ${FINDABLE_RUN_STATUSES.join(", ")}; got "${status}")`,
        );
      }
    }
    const runQuery = {
      planIds: commaList(query.plan),
      inputKnitIds: commaList(query.knitIdInput),
      outputKnitIds: commaList(query.knitIdOutput),
      statuses: statuses.filter(isFindableRunStatus),
      ...parseTimeWindow(query.since, query.duration),
    };
    const runs = await readOnOneConnection(database.db, async (q) => loadRuns(q, await findRunIds(q, runQuery)));
    return runs.map(runDetailJson);
  });

  app.get("/api/runs/:runId/", { schema: { tags: ["runs"], summary: "Show a run", ...oneRun } }, async (request, reply) => {
    const { runId } = request.params;
    const shown = await detail(runId);
    // why the run does not move on, when the engine knows (a node label, refused starts, a full disk)
    const pending = (await pendingReasons(database.db, [runId.toLowerCase()])).get(runId.toLowerCase());
    if (pending) addWarning(reply, pending);
    return shown;
  });

  app.put("/api/runs/:runId/abort", { schema: { tags: ["runs"], summary: "Abort a run (exit 253)", ...oneRun } }, async (request) => {
    const { runId } = request.params;
    await abortRun(database, runId);
    return detail(runId);
  });

  app.put("/api/runs/:runId/tearoff", { schema: { tags: ["runs"], summary: "Stop a run keeping its outputs", ...oneRun } }, async (request) => {
    const { runId } = request.params;
    await tearoffRun(database, runId);
    return detail(runId);
  });

  app.put("/api/runs/:runId/retry", { schema: { tags: ["runs"], summary: "Run a finished run again (200, empty body)", params: RunIdParams, response: rawResponses("empty") } }, async (request, reply) => {
    await retryRun(database, request.params.runId);
    return reply.status(200).send();
  });

  app.delete("/api/runs/:runId/", { schema: { tags: ["runs"], summary: "Delete (invalidate) a run", params: RunIdParams, response: noContentResponses() } }, async (request, reply) => {
    await deleteRun(database, request.params.runId);
    return reply.status(204).header("content-type", "application/json").send();
  });

  runLogRoute(app, "/api/runs/:runId/log", "runs", options);
}

import type { FastifyInstance } from "fastify";
import { FINDABLE_RUN_STATUSES, isFindableRunStatus } from "@knitfab/api/run-statuses";
import { NotFoundError, badRequest } from "@knitfab/domain";
import { abortRun, deleteRun, findRunIds, loadRuns, pendingReasons, retryRun, tearoffRun } from "@knitfab/db";
import type { AppOptions } from "../app.js";
import { runDetailJson } from "@knitfab/db";
import { IdParams, LogQuery, RunFindQuery } from "../schemas.js";
import { parseTimeWindow } from "./query.js";
import { sendRunLog } from "./run-log.js";
import { addWarning } from "../warning.js";

const commaList = (value: string | undefined): string[] =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

export async function runRoutes(app: FastifyInstance, options: AppOptions): Promise<void> {
  const { database } = options;
  const runParams = IdParams("runId");
  const detail = async (runId: string) => {
    const [run] = await loadRuns(database.db, [runId.toLowerCase()]);
    if (!run) throw new NotFoundError();
    return runDetailJson(run);
  };

  app.get("/api/runs/", { schema: { tags: ["runs"], summary: "Find runs", querystring: RunFindQuery } }, async (request) => {
    const query = request.query as { plan?: string; knitIdInput?: string; knitIdOutput?: string; status?: string; since?: string; duration?: string };
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
    const ids = await findRunIds(database.db, {
      planIds: commaList(query.plan),
      inputKnitIds: commaList(query.knitIdInput),
      outputKnitIds: commaList(query.knitIdOutput),
      statuses: statuses.filter(isFindableRunStatus),
      ...parseTimeWindow(query.since, query.duration),
    });
    return (await loadRuns(database.db, ids)).map(runDetailJson);
  });

  app.get("/api/runs/:runId/", { schema: { tags: ["runs"], summary: "Show a run", params: runParams } }, async (request, reply) => {
    const { runId } = request.params as { runId: string };
    const shown = await detail(runId);
    // why the run does not move on, when the engine knows (a node label, refused starts, a full disk)
    const pending = (await pendingReasons(database.db, [runId.toLowerCase()])).get(runId.toLowerCase());
    if (pending) addWarning(reply, pending);
    return shown;
  });

  app.put("/api/runs/:runId/abort", { schema: { tags: ["runs"], summary: "Abort a run (exit 253)", params: runParams } }, async (request) => {
    const { runId } = request.params as { runId: string };
    await abortRun(database, runId);
    return detail(runId);
  });

  app.put("/api/runs/:runId/tearoff", { schema: { tags: ["runs"], summary: "Stop a run keeping its outputs", params: runParams } }, async (request) => {
    const { runId } = request.params as { runId: string };
    await tearoffRun(database, runId);
    return detail(runId);
  });

  app.put("/api/runs/:runId/retry", { schema: { tags: ["runs"], summary: "Run a finished run again (200, empty body)", params: runParams } }, async (request, reply) => {
    await retryRun(database, (request.params as { runId: string }).runId);
    return reply.status(200).send();
  });

  app.delete("/api/runs/:runId/", { schema: { tags: ["runs"], summary: "Delete (invalidate) a run", params: runParams } }, async (request, reply) => {
    await deleteRun(database, (request.params as { runId: string }).runId);
    return reply.status(204).header("content-type", "application/json").send();
  });

  app.get(
    "/api/runs/:runId/log",
    { schema: { tags: ["runs"], summary: "The run's log; ?follow streams it live while the run runs", params: runParams, querystring: LogQuery } },
    async (request, reply) => {
      const { runId } = request.params as { runId: string };
      const follow = "follow" in (request.query as Record<string, unknown>);
      await sendRunLog(options, runId.toLowerCase(), follow, reply);
    },
  );
}

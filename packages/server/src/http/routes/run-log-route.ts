import { RunIdParams, RunLogQuery } from "@knitfab/api";
import type { AppOptions } from "../app-options.js";
import { rawResponses, type ApiApp } from "../route-schemas.js";
import { sendRunLog } from "./run-log.js";

/** A run's log, served twice: by the public API (`/api/runs/…/log`) and by the backend (`/api/backend/runs/…/log/`). */
export function runLogRoute(app: ApiApp, url: string, tag: string, options: AppOptions): void {
  app.get(
    url,
    {
      schema: {
        tags: [tag],
        summary: "The run's log; ?follow streams it live while the run runs",
        params: RunIdParams,
        querystring: RunLogQuery,
        response: rawResponses("log"),
      },
    },
    async (request, reply) => {
      await sendRunLog(options, request.params.runId.toLowerCase(), request.query.follow !== undefined, reply);
    },
  );
}

import type { FastifyReply } from "fastify";
import { NotFoundError, UnavailableError } from "@knitfab/domain";
import { DataPathMissingError } from "@knitfab/drivers";
import { loadRuns, pendingReasons } from "@knitfab/db";
import type { AppOptions } from "../app-options.js";

/** The file of a log Data the engine writes (the reference's `log`). */
const LOG_FILE = "log";

const NOT_STARTED = new Set(["deactivated", "waiting", "ready"]);

/**
 * spec/api.md §4.5: 404 for a missing or invalidated run or a plan without log; 503 before it
 * starts; the live stream with ?follow while starting/running; otherwise the stored log bytes.
 */
export async function sendRunLog(options: AppOptions, runId: string, follow: boolean, reply: FastifyReply): Promise<void> {
  const [run] = await loadRuns(options.database.db, [runId]);
  if (!run || run.status === "invalidated" || !run.log) throw new NotFoundError();
  if (NOT_STARTED.has(run.status)) {
    // say why it has not started when the engine knows (e.g. an on_node label this machine lacks)
    const pending = (await pendingReasons(options.database.db, [run.runId])).get(run.runId);
    throw new UnavailableError("please retry later.", {
      cause: new Error(`the run is ${run.status}; its log starts when it runs${pending ? `. ${pending}` : ""}`),
    });
  }
  if (follow && (run.status === "starting" || run.status === "running")) {
    // Live from the worker when this process reaches it; else the log file the engine keeps growing.
    const live = options.logSource ? await options.logSource.follow(run.runId).catch(() => undefined) : undefined;
    reply.header("content-type", "application/octet-stream");
    if (live) return reply.send(live);
    const logKnitId = run.log.knitId;
    if (await options.store.exists(logKnitId)) {
      const stillRunning = async () => {
        const [now] = await loadRuns(options.database.db, [run.runId]);
        return now !== undefined && (now.status === "starting" || now.status === "running");
      };
      // No log file yet (a crash right after the log Data was prepared): the stored bytes, below.
      const growing = await options.store.followFile(logKnitId, LOG_FILE, { stillWriting: stillRunning }).catch((error: unknown) => {
        if (error instanceof DataPathMissingError) return undefined;
        throw error;
      });
      if (growing) return reply.send(growing);
    }
  }
  const stream = (await options.store.exists(run.log.knitId)) ? await options.store.readConcatenated(run.log.knitId) : undefined;
  if (!stream) throw new NotFoundError("not found", { advice: "the log of this run has not been written yet" });
  reply.header("content-type", "application/octet-stream");
  return reply.send(stream);
}

import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { CommandError, UsageError } from "../cli/errors.js";
import { printJson } from "../cli/output.js";
import { collect, parseGoDuration, parseLooseTime } from "../cli/values.js";
import { abortRun, deleteRun, findRuns, getRun, retryRun, tearoffRun } from "../client/api.js";
import { describeHttpError, HttpError, readText } from "../client/http.js";
import type { RunDetail } from "@knitfab/api";
import { isTerminalRunStatus } from "@knitfab/api/run-statuses";

interface FindOptions {
  planid: string[];
  inKnitid: string[];
  outKnitid: string[];
  status: string[];
  since?: Date;
  duration?: string;
}

const trimmed = collect((v: string) => v.trim());

export function registerRunFind(group: Command, runtime: Runtime): void {
  defineCommand<FindOptions>(group, runtime, {
    name: "find",
    summary: "find Runs by Plan, input/output Data, status and time",
    description: "Values of one flag are ORed, different flags are ANDed. Prints a JSON array of Runs.",
    examples: ["knit run find -p PLAN_ID -s running -s waiting", "knit run find -i KNIT_ID --since 2024-05-01T09:00 --duration 1h"],
    configure: (c) => c
      .option("-p, --planid <PLAN_ID>", "Runs of this Plan (repeatable)", trimmed, [])
      .option("-i, --in-knitid <KNIT_ID>", "Runs reading this Data (repeatable)", trimmed, [])
      .option("-o, --out-knitid <KNIT_ID>", "Runs writing this Data (repeatable)", trimmed, [])
      .option("-s, --status <STATUS>", "Runs in this status (repeatable): deactivated, waiting, ready, starting, running, completing, aborting, done, failed", trimmed, [])
      .option("--since <TIME>", "Runs updated at or after TIME (YYYY-mm-dd[THH[:MM[:SS]]][Z|±hh:mm])", parseLooseTime)
      .option("--duration <DURATION>", "with --since: Runs updated before since+DURATION (e.g. 2h30m)", (v: string) => (parseGoDuration(v), v)),
    run: async (context, _args, options) => {
      if (options.duration !== undefined && options.since === undefined) {
        throw new UsageError("--duration needs --since: give the start of the time window too");
      }
      const client = await context.client();
      try {
        await printJson(context, await findRuns(client, {
          plans: options.planid,
          inputs: options.inKnitid,
          outputs: options.outKnitid,
          statuses: options.status,
          since: options.since?.toISOString(),
          duration: options.duration,
        }));
      } catch (error) {
        throw describeHttpError(error, { badRequest: "invalid request" });
      }
    },
  });
}

interface ShowOptions {
  log?: boolean;
  follow?: boolean;
}

export function registerRunShow(group: Command, runtime: Runtime): void {
  defineCommand<ShowOptions>(group, runtime, {
    name: "show <RUN_ID>",
    summary: "show a Run, or its log",
    examples: ["knit run show RUN_ID", "knit run show --log --follow RUN_ID"],
    configure: (c) => c
      .option("--log", "print the Run's log instead of the Run")
      .option("-f, --follow", "with --log: keep printing while the Run is running"),
    run: async (context, [runId], options) => {
      const client = await context.client();
      if (!options.log) {
        try {
          await printJson(context, await getRun(client, runId as string));
        } catch (error) {
          throw describeHttpError(error, { notFound: `runId:${runId} is not found` });
        }
        return;
      }
      const response = await client.send("GET", ["runs", runId as string, "log"], { query: options.follow ? [["follow", ""]] : [] });
      if (response.status !== 200) {
        const error = new HttpError(response.status, await readText(response.body));
        if (response.status === 503) throw new CommandError(`the log of Run ${runId} is not available yet: the Run has not started; try again later\n${error.detail}`);
        throw describeHttpError(error, { notFound: `the log of Run ${runId} is not found (no such Run, or its Plan keeps no log)` });
      }
      // Loaded here: a static import would load Node's stream library at every start of every command.
      const { pipeline } = await import("node:stream/promises");
      await pipeline(response.body, context.io.stdout, { end: false });
    },
  });
}

interface StopOptions {
  fail?: boolean;
}

export function registerRunStop(group: Command, runtime: Runtime): void {
  defineCommand<StopOptions>(group, runtime, {
    name: "stop <RUN_ID>",
    summary: "stop a Run: as done (keeping outputs so far), or as failed with --fail",
    examples: ["knit run stop RUN_ID", "knit run stop --fail RUN_ID"],
    configure: (c) => c.option("-x, --fail", "stop the Run as failed (aborted) instead of done"),
    run: async (context, [runId], options) => {
      const client = await context.client();
      try {
        if (options.fail) {
          await abortRun(client, runId as string);
          context.logger.info(`Run Id: ${runId} is aborting.`);
        } else {
          await tearoffRun(client, runId as string);
          context.logger.info(`Run Id: ${runId} is stopping.`);
        }
      } catch (error) {
        throw describeHttpError(error, { notFound: `runId:${runId} is not found`, conflict: `Run ${runId} cannot be stopped in its current status` });
      }
    },
  });
}

export function registerRunRm(group: Command, runtime: Runtime): void {
  defineCommand(group, runtime, {
    name: "rm <RUN_ID>",
    summary: "delete a finished Run that no other Run uses",
    examples: ["knit run rm RUN_ID"],
    run: async (context, [runId]) => {
      const client = await context.client();
      try {
        await deleteRun(client, runId as string);
        context.logger.info(`deleted Run Id:${runId}`);
      } catch (error) {
        throw describeHttpError(error, { notFound: `runId:${runId} is not found`, conflict: `Run ${runId} cannot be deleted: delete its downstream Runs first, or wait for it to finish` });
      }
    },
  });
}

export function registerRunRetry(group: Command, runtime: Runtime): void {
  defineCommand(group, runtime, {
    name: "retry <RUN_ID>",
    summary: "run a finished Run again",
    examples: ["knit run retry RUN_ID"],
    run: async (context, [runId]) => {
      const client = await context.client();
      try {
        await retryRun(client, runId as string);
        context.logger.info(`requested to retry Run: ${runId}`);
      } catch (error) {
        throw describeHttpError(error, { notFound: `runId:${runId} is not found`, conflict: `Run ${runId} cannot be retried now` });
      }
    },
  });
}

interface WaitOptions {
  interval: string;
  timeout?: string;
}

export function registerRunWait(group: Command, runtime: Runtime): void {
  defineCommand<WaitOptions>(group, runtime, {
    name: "wait <RUN_ID>",
    summary: "wait until a Run ends; exit 0 if it is done, 1 otherwise",
    description: "Polls the Run until it is done, failed or invalidated, then prints it as JSON. Exits 0 when the Run is done and 1 when it failed or was invalidated.",
    examples: ["knit run wait RUN_ID && knit data pull -x OUTPUT_KNIT_ID ./out"],
    configure: (c) => c
      .option("--interval <DURATION>", "time between checks", "1s")
      .option("--timeout <DURATION>", "give up (exit 1) if the Run has not ended after this long"),
    run: async (context, [runId], options) => {
      const interval = parseGoDuration(options.interval);
      if (interval <= 0) throw new UsageError("--interval must be positive, e.g. 500ms or 2s");
      const deadline = options.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + parseGoDuration(options.timeout);
      const client = await context.client();
      let last = "";
      let run: RunDetail;
      for (;;) {
        try {
          run = await getRun(client, runId as string);
        } catch (error) {
          throw describeHttpError(error, { notFound: `runId:${runId} is not found` });
        }
        if (run.status !== last) {
          context.logger.info(`Run ${runId} is ${run.status}`);
          last = run.status;
        }
        if (isTerminalRunStatus(run.status)) break;
        if (Date.now() >= deadline) {
          throw new CommandError(`Run ${runId} is still ${run.status} after ${options.timeout}; wait longer, or stop it with 'knit run stop ${runId}'`);
        }
        await new Promise((r) => setTimeout(r, interval));
      }
      await printJson(context, run);
      if (run.status !== "done") {
        const exit = run.exit ? ` (exit ${run.exit.code}${run.exit.message ? `: ${run.exit.message}` : ""})` : "";
        throw new CommandError(`Run ${runId} ended ${run.status}${exit}; see 'knit run show --log ${runId}'`);
      }
    },
  });
}

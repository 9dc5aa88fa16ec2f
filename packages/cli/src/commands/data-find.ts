import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { UsageError } from "../cli/errors.js";
import { printJson } from "../cli/output.js";
import { collect, parseGoDuration, parseLooseTime, parseTag, parseTristate, type Tag } from "../cli/values.js";
import { formatTag } from "@knitfab/domain/tags";
import { findData } from "../client/api.js";
import { describeHttpError } from "../client/http.js";

interface Options {
  tag: Tag[];
  transient: string;
  since?: Date;
  duration?: string;
}

export function registerDataFind(group: Command, runtime: Runtime): void {
  defineCommand<Options>(group, runtime, {
    name: "find",
    summary: "find Data by tags and time",
    description:
      "Finds Data carrying all the given tags. System tags work too: knit#id:ID, knit#timestamp:TIME, " +
      "knit#transient:processing|failed. Prints a JSON array of Data.",
    examples: [
      "knit data find -t project:mnist -t type:dataset",
      "knit data find --transient no --since 2024-05-01 --duration 24h",
    ],
    configure: (c) => c
      .option("-t, --tag <KEY:VALUE>", "tag the Data must have (repeatable; all must match)", collect(parseTag), [])
      .option("--transient <both|yes|true|no|false>", "yes: only Data still being written or failed; no: exclude them", "both")
      .option("--since <TIME>", "only Data timestamped at or after TIME (YYYY-mm-dd[THH[:MM[:SS]]][Z|±hh:mm])", parseLooseTime)
      .option("--duration <DURATION>", "with --since: only Data timestamped before since+DURATION (e.g. 2h30m)", (v: string) => (parseGoDuration(v), v)),
    run: async (context, _args, options) => {
      const transient = parseTristate(options.transient, "--transient");
      if (options.duration !== undefined && options.since === undefined) {
        throw new UsageError("--duration needs --since: give the start of the time window too");
      }
      const client = await context.client();
      let found;
      try {
        found = await findData(client, {
          tags: options.tag.map(formatTag),
          since: options.since?.toISOString(),
          duration: options.duration,
        });
      } catch (error) {
        throw describeHttpError(error, { badRequest: "[BUG] client is not compatible with the server (status code = 400)" });
      }
      const isTransient = (tags: string[]) => tags.some((t) => t.startsWith("knit#transient:"));
      const filtered = found.filter((d) => transient === "both" || (transient === "yes") === isTransient(d.tags));
      await printJson(context, filtered);
    },
  });
}

import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { UsageError } from "../cli/errors.js";
import { write } from "../cli/io.js";
import { parseDepth } from "../cli/values.js";
import { describeHttpError } from "../client/http.js";
import { parseGraphFormat, type GraphFormat } from "../graph/format.js";
import type { WalkOptions } from "../graph/walk.js";

interface GraphOptions {
  upstream?: boolean;
  downstream?: boolean;
  numbers: number;
  format: GraphFormat;
}

function configureGraph(c: Command): Command {
  return c
    .option("-u, --upstream", "trace upstream")
    .option("-d, --downstream", "trace downstream")
    .option("-n, --numbers <N|all>", "how many steps to trace", parseDepth, 3)
    .option("--format <dot|svg|png>", "output format; svg and png are laid out with a built-in Graphviz", parseGraphFormat, "dot");
}

function walkOptions(options: GraphOptions): WalkOptions {
  if (options.numbers === 0) throw new UsageError("--numbers must be at least 1 (or 'all')");
  const both = !options.upstream && !options.downstream;
  return { upstream: both || Boolean(options.upstream), downstream: both || Boolean(options.downstream), depth: options.numbers };
}

export function registerDataLineage(group: Command, runtime: Runtime): void {
  defineCommand<GraphOptions>(group, runtime, {
    name: "lineage <KNIT_ID>",
    summary: "draw the lineage of Data (Graphviz dot, svg or png)",
    description: "Traces the Runs and Data upstream and/or downstream of KNIT_ID (both when neither -u nor -d is given).",
    examples: ["knit data lineage -n all 0a1b2c3d-...-9f | dot -Tpng > lineage.png", "knit data lineage -u -n 2 --format svg 0a1b2c3d-...-9f > lineage.svg"],
    configure: configureGraph,
    run: async (context, [knitId], options) => {
      const walk = walkOptions(options);
      const [client, { dataLineage }, { renderGraph }] = await Promise.all([context.client(), import("../graph/walk.js"), import("../graph/render.js")]);
      let dot: string;
      try {
        dot = (await dataLineage(client, knitId as string, walk)).toDot();
      } catch (error) {
        throw describeHttpError(error, { notFound: `a Run or Data around knit#id:${knitId} is not found` });
      }
      await write(context.io.stdout, await renderGraph(dot, options.format));
      context.logger.info(`success to output ${options.format} format`);
    },
  });
}

export function registerPlanGraph(group: Command, runtime: Runtime): void {
  defineCommand<GraphOptions>(group, runtime, {
    name: "graph <PLAN_ID>",
    summary: "draw the Plans connected to a Plan (Graphviz dot, svg or png)",
    description: "Traces Plans upstream (feeding its inputs) and/or downstream (reading its outputs or log).",
    examples: ["knit plan graph -n all 3fa85f64-5717-4562-b3fc-2c963f66afa6 | dot -Tsvg > plans.svg", "knit plan graph -d --format png 3fa85f64-5717-4562-b3fc-2c963f66afa6 > plans.png"],
    configure: configureGraph,
    run: async (context, [planId], options) => {
      const walk = walkOptions(options);
      const [client, { planGraph }, { renderGraph }] = await Promise.all([context.client(), import("../graph/walk.js"), import("../graph/render.js")]);
      let dot: string;
      try {
        dot = (await planGraph(client, planId as string, walk)).toDot();
      } catch (error) {
        throw describeHttpError(error, { notFound: `planId:${planId} is not found` });
      }
      await write(context.io.stdout, await renderGraph(dot, options.format));
      context.logger.info(`success to output ${options.format} format`);
    },
  });
}

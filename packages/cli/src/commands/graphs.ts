import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { UsageError } from "../cli/errors.js";
import { parseDepth } from "../cli/values.js";
import { describeHttpError } from "../client/http.js";
import { parseGraphFormat, type GraphFormat } from "../graph/format.js";
import type { WalkOptions } from "../graph/walk.js";
import type { DotGraph } from "../graph/graph.js";
import type { ApiClient } from "../client/http.js";
import type { Context } from "../cli/context.js";

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

type WalkModule = typeof import("../graph/walk.js");

/**
 * Builds a graph with the walk module (loaded for graph commands only), renders it in the asked
 * format to stdout; a 404 on the way is `notFound`.
 */
async function drawGraph(
  context: Context,
  options: GraphOptions,
  build: (graphs: WalkModule, client: ApiClient, walk: WalkOptions) => Promise<DotGraph>,
  notFound: string,
): Promise<void> {
  const walk = walkOptions(options); // bad flags are refused before any request
  const [client, graphs, { renderGraph }] = await Promise.all([context.client(), import("../graph/walk.js"), import("../graph/render.js")]);
  let dot: string;
  try {
    dot = (await build(graphs, client, walk)).toDot();
  } catch (error) {
    throw describeHttpError(error, { notFound });
  }
  await context.io.print(await renderGraph(dot, options.format));
  context.logger.info(`success to output ${options.format} format`);
}

export function registerDataLineage(group: Command, runtime: Runtime): void {
  defineCommand<GraphOptions>(group, runtime, {
    name: "lineage <KNIT_ID>",
    summary: "draw the lineage of Data (Graphviz dot, svg or png)",
    description: "Traces the Runs and Data upstream and/or downstream of KNIT_ID (both when neither -u nor -d is given).",
    examples: ["knit data lineage -n all 0a1b2c3d-...-9f | dot -Tpng > lineage.png", "knit data lineage -u -n 2 --format svg 0a1b2c3d-...-9f > lineage.svg"],
    configure: configureGraph,
    run: (context, [knitId], options) =>
      drawGraph(context, options, (graphs, client, walk) => graphs.dataLineage(client, knitId as string, walk), `a Run or Data around knit#id:${knitId} is not found`),
  });
}

export function registerPlanGraph(group: Command, runtime: Runtime): void {
  defineCommand<GraphOptions>(group, runtime, {
    name: "graph <PLAN_ID>",
    summary: "draw the Plans connected to a Plan (Graphviz dot, svg or png)",
    description: "Traces Plans upstream (feeding its inputs) and/or downstream (reading its outputs or log).",
    examples: ["knit plan graph -n all 3fa85f64-5717-4562-b3fc-2c963f66afa6 | dot -Tsvg > plans.svg", "knit plan graph -d --format png 3fa85f64-5717-4562-b3fc-2c963f66afa6 > plans.png"],
    configure: configureGraph,
    run: (context, [planId], options) =>
      drawGraph(context, options, (graphs, client, walk) => graphs.planGraph(client, planId as string, walk), `planId:${planId} is not found`),
  });
}

import { resolve } from "node:path";
import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { CommandError, UsageError } from "../cli/errors.js";
import { printJson } from "../cli/output.js";
import { collect, parseTag, parseTristate, type Tag } from "../cli/values.js";
import { formatTag } from "@knitfab/domain/tags";
import { applyPlan, findPlans, getPlan, setPlanActive } from "../client/api.js";
import { describeHttpError } from "../client/http.js";

export function registerPlanApply(group: Command, runtime: Runtime): void {
  defineCommand(group, runtime, {
    name: "apply <PLAN_FILE>",
    summary: "register a Plan from a YAML file",
    description: "Registers the Plan described by PLAN_FILE (see 'knit plan template') and prints it as JSON.",
    examples: ["knit plan apply ./train.plan.yaml"],
    run: async (context, [file]) => {
      // The promise API of the file system and the YAML parser load only for the commands using them.
      const [{ readFile }, { parsePlanSpec }] = await Promise.all([import("node:fs/promises"), import("./plan-spec.js")]);
      const path = resolve(context.io.cwd, file as string);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        throw new CommandError(`fail to read Plan file ${path}: ${(error as Error).message}`);
      }
      const spec = parsePlanSpec(text);
      const client = await context.client();
      try {
        await printJson(context, await applyPlan(client, spec));
      } catch (error) {
        const e = describeHttpError(error, { badRequest: "invalid request", conflict: "conflict with existing Plans" });
        throw new CommandError(`failed to apply Plan: ${e.message}`);
      }
    },
  });
}

export function registerPlanShow(group: Command, runtime: Runtime): void {
  defineCommand(group, runtime, {
    name: "show <PLAN_ID>",
    summary: "show a Plan",
    examples: ["knit plan show 3fa85f64-5717-4562-b3fc-2c963f66afa6"],
    run: async (context, [planId]) => {
      const client = await context.client();
      try {
        await printJson(context, await getPlan(client, planId as string));
      } catch (error) {
        throw describeHttpError(error, { notFound: `planId:${planId} is not found` });
      }
    },
  });
}

interface FindOptions {
  active: string;
  image?: string;
  inTag: Tag[];
  outTag: Tag[];
}

/** Splits `IMAGE[:TAG]` like the reference (the tag is after a `:` in the last path segment). */
export function parseImageFilter(text: string): string {
  const lastSlash = text.lastIndexOf("/");
  const colon = text.indexOf(":", lastSlash + 1);
  const name = colon < 0 ? text : text.slice(0, colon);
  if (name.trim() === "") throw new UsageError(`--image ${text}: the image name is empty; give IMAGE or IMAGE:TAG`);
  const tag = colon < 0 ? "" : text.slice(colon + 1);
  return tag === "" ? name : `${name}:${tag}`;
}

export function registerPlanFind(group: Command, runtime: Runtime): void {
  defineCommand<FindOptions>(group, runtime, {
    name: "find",
    summary: "find Plans by activeness, image and tags",
    examples: ["knit plan find --active yes --image train:v1 -i type:dataset -o type:model"],
    configure: (c) => c
      .option("--active <both|yes|true|no|false>", "filter by activeness", "both")
      .option("--image <IMAGE[:TAG]>", "only Plans of this image (any version when TAG is omitted)")
      .option("-i, --in-tag <KEY:VALUE>", "some input must have all these tags (repeatable)", collect(parseTag), [])
      .option("-o, --out-tag <KEY:VALUE>", "some output (or the log) must have all these tags (repeatable)", collect(parseTag), []),
    run: async (context, _args, options) => {
      const active = parseTristate(options.active, "--active");
      const image = options.image === undefined ? undefined : parseImageFilter(options.image);
      const client = await context.client();
      try {
        await printJson(context, await findPlans(client, {
          active: active === "both" ? undefined : active === "yes",
          image,
          inTags: options.inTag.map(formatTag),
          outTags: options.outTag.map(formatTag),
        }));
      } catch (error) {
        throw describeHttpError(error, { badRequest: "[BUG] client is not compatible with the server (status code = 400)" });
      }
    },
  });
}

export function registerPlanActive(group: Command, runtime: Runtime): void {
  defineCommand(group, runtime, {
    name: "active <yes|no> <PLAN_ID>",
    summary: "activate or deactivate a Plan",
    description: "yes: the Plan's waiting Runs may start; no: its Runs not yet started are held (deactivated).",
    examples: ["knit plan active no 3fa85f64-5717-4562-b3fc-2c963f66afa6"],
    run: async (context, [mode, planId]) => {
      if (mode !== "yes" && mode !== "no") throw new UsageError(`the first argument must be 'yes' or 'no', not '${mode}'`);
      const client = await context.client();
      try {
        await printJson(context, await setPlanActive(client, planId as string, mode === "yes"));
      } catch (error) {
        throw describeHttpError(error, { notFound: `planId:${planId} is not found` });
      }
    },
  });
}

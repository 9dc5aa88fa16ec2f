import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { UsageError } from "../cli/errors.js";
import { printJson, printJsonBare } from "../cli/output.js";
import { collect, parseAnnotation, parseResourceSetting } from "../cli/values.js";
import { changePlanAnnotations, changePlanResources, setPlanServiceAccount } from "../client/api.js";
import { describeHttpError } from "../client/http.js";

interface ResourceOptions {
  set: [string, string][];
  unset: string[];
}

export function registerPlanResource(group: Command, runtime: Runtime): void {
  defineCommand<ResourceOptions>(group, runtime, {
    name: "resource <PLAN_ID>",
    summary: "set or unset resource limits of a Plan",
    description: "Changes the resources (cpu, memory, nvidia.com/gpu...) of the Plan's future Runs. The server applies --set first, then --unset: a type given to both ends up unset.",
    examples: ["knit plan resource --set cpu=2 --set memory=4Gi --unset nvidia.com/gpu 3fa85f64-5717-4562-b3fc-2c963f66afa6"],
    configure: (c) => c
      .option("-s, --set <TYPE=QUANTITY>", "resource limit to set (repeatable; last wins per type)", collect(parseResourceSetting), [])
      .option("-u, --unset <TYPE>", "resource limit to remove (repeatable)", collect((v: string) => v.trim()), []),
    run: async (context, [planId], options) => {
      if (options.set.length === 0 && options.unset.length === 0) {
        context.logger.info("Nothing to do.");
        return;
      }
      const client = await context.client();
      try {
        const plan = await changePlanResources(client, planId as string, { set: Object.fromEntries(options.set), unset: options.unset });
        context.logger.info(`Plan:${planId} is updated.`);
        await printJsonBare(context, plan, 2);
      } catch (error) {
        throw describeHttpError(error, { notFound: `planId:${planId} is not found`, badRequest: "invalid request" });
      }
    },
  });
}

interface AnnotateOptions {
  add: string[];
  remove: string[];
  removeKey: string[];
}

export function registerPlanAnnotate(group: Command, runtime: Runtime): void {
  defineCommand<AnnotateOptions>(group, runtime, {
    name: "annotate <PLAN_ID>",
    summary: "add or remove annotations (KEY=VALUE) of a Plan",
    examples: ["knit plan annotate --add owner=alice --remove stage=draft --remove-key note 3fa85f64-5717-4562-b3fc-2c963f66afa6"],
    configure: (c) => c
      .option("--add <KEY=VALUE>", "annotation to add (repeatable)", collect((v: string) => v), [])
      .option("--remove <KEY=VALUE>", "annotation to remove (repeatable)", collect((v: string) => v), [])
      .option("--remove-key <KEY>", "remove every annotation with this key (repeatable)", collect((v: string) => v.trim()), []),
    run: async (context, [planId], options) => {
      const change = {
        add: options.add.map((a) => parseAnnotation(a, "--add")),
        remove: options.remove.map((a) => parseAnnotation(a, "--remove")),
        remove_key: options.removeKey,
      };
      const client = await context.client();
      try {
        const plan = await changePlanAnnotations(client, planId as string, change);
        context.logger.info(`Plan:${planId} is updated.`);
        await printJson(context, plan);
      } catch (error) {
        throw describeHttpError(error, { notFound: `planId:${planId} is not found`, badRequest: "invalid request" });
      }
    },
  });
}

interface ServiceAccountOptions {
  set?: string;
  unset?: boolean;
}

export function registerPlanServiceAccount(group: Command, runtime: Runtime): void {
  defineCommand<ServiceAccountOptions>(group, runtime, {
    name: "serviceaccount <PLAN_ID>",
    summary: "set or unset the service account of a Plan's Runs",
    examples: ["knit plan serviceaccount --set trainer 3fa85f64-5717-4562-b3fc-2c963f66afa6", "knit plan serviceaccount --unset 3fa85f64-5717-4562-b3fc-2c963f66afa6"],
    configure: (c) => c
      .option("--set <NAME>", "service account to run the Plan's workers with")
      .option("--unset", "remove the service account"),
    run: async (context, [planId], options) => {
      const setting = options.set !== undefined;
      if (setting === Boolean(options.unset)) throw new UsageError("give exactly one of --set NAME or --unset");
      const client = await context.client();
      try {
        const plan = await setPlanServiceAccount(client, planId as string, options.set);
        context.logger.info(`Plan:${planId} is updated.`);
        await printJson(context, plan);
      } catch (error) {
        throw describeHttpError(error, { notFound: `planId:${planId} is not found`, badRequest: "invalid request" });
      }
    },
  });
}

import { Command } from "commander";
import { defineGroup, type Runtime } from "./cli/define.js";
import type { Extension } from "./cli/extensions.js";
import { registerCompletion } from "./commands/completion.js";
import { registerDataCat, registerDataLs } from "./commands/data-browse.js";
import { registerDataFind } from "./commands/data-find.js";
import { registerDataPull } from "./commands/data-pull.js";
import { registerDataPush } from "./commands/data-push.js";
import { registerDataTag } from "./commands/data-tag.js";
import { registerDataLineage, registerPlanGraph } from "./commands/graphs.js";
import { registerInit } from "./commands/init.js";
import { registerPlanActive, registerPlanApply, registerPlanFind, registerPlanShow } from "./commands/plan-basic.js";
import { registerPlanAnnotate, registerPlanResource, registerPlanServiceAccount } from "./commands/plan-change.js";
import { registerPlanTemplate } from "./commands/plan-template.js";
import { registerRunFind, registerRunRetry, registerRunRm, registerRunShow, registerRunStop, registerRunWait } from "./commands/run.js";
import { registerVersion } from "./commands/version.js";

const COMMON_HELP = `
Common flags (accepted by every command, anywhere on the line):
  --profile NAME          profile to use (default: from .knitprofile, else this directory's path)
  --profile-store PATH    profile store (default: ~/.knit/profile)
  --env PATH              knitenv file (default: the nearest 'knitenv' here or above)
`;

/** The whole `knit` command tree; extensions (`knit-NAME` on PATH) become top-level commands. */
export function buildProgram(runtime: Runtime, extensions: Extension[]): Command {
  const { io } = runtime;
  const program = new Command("knit")
    .description("knit: the command line client of Knitfab")
    .exitOverride()
    .showHelpAfterError()
    .helpCommand(false)
    .configureHelp({
      helpWidth: 100,
      // Repeatable flags start as an empty list; "(default: [])" in help would only confuse.
      optionDescription: (option) => {
        const shown = Array.isArray(option.defaultValue) || option.defaultValue === undefined || typeof option.defaultValue === "number" && !Number.isFinite(option.defaultValue)
          ? ""
          : ` (default: ${typeof option.defaultValue === "string" ? option.defaultValue : JSON.stringify(option.defaultValue)})`;
        return `${option.description}${shown}`;
      },
    })
    .configureOutput({
      writeOut: (s) => io.stderr.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  program.addHelpText("after", `${COMMON_HELP}\nExample:\n  knit init ./knitprofile && knit data push -t project:demo -n ./dataset\n`);

  registerInit(program, runtime);
  // The command table: each group's subcommands by name, defined only when addressed (see fillGroup).
  defineGroup(program, "data", "push, pull, find and tag Data, look inside it, and draw its lineage", ["knit data find -t project:demo"], {
    find: (g) => registerDataFind(g, runtime),
    pull: (g) => registerDataPull(g, runtime),
    push: (g) => registerDataPush(g, runtime),
    tag: (g) => registerDataTag(g, runtime),
    lineage: (g) => registerDataLineage(g, runtime),
    ls: (g) => registerDataLs(g, runtime),
    cat: (g) => registerDataCat(g, runtime),
  });
  defineGroup(program, "plan", "register, find and change Plans", ["knit plan apply ./train.plan.yaml"], {
    show: (g) => registerPlanShow(g, runtime),
    find: (g) => registerPlanFind(g, runtime),
    graph: (g) => registerPlanGraph(g, runtime),
    template: (g) => registerPlanTemplate(g, runtime),
    apply: (g) => registerPlanApply(g, runtime),
    active: (g) => registerPlanActive(g, runtime),
    resource: (g) => registerPlanResource(g, runtime),
    annotate: (g) => registerPlanAnnotate(g, runtime),
    serviceaccount: (g) => registerPlanServiceAccount(g, runtime),
  });
  defineGroup(program, "run", "find, follow, stop, retry and delete Runs", ["knit run find -s running"], {
    show: (g) => registerRunShow(g, runtime),
    find: (g) => registerRunFind(g, runtime),
    stop: (g) => registerRunStop(g, runtime),
    rm: (g) => registerRunRm(g, runtime),
    retry: (g) => registerRunRetry(g, runtime),
    wait: (g) => registerRunWait(g, runtime),
  });
  registerVersion(program, runtime);
  registerCompletion(program, runtime);

  for (const extension of extensions) {
    if (program.commands.some((c) => c.name() === extension.name)) {
      throw new Error(`the extension ${extension.path} conflicts with the built-in command '${extension.name}': rename it or remove it from PATH`);
    }
    program
      .command(extension.name)
      .summary(`(= ${extension.path})`)
      .description(`extension command: runs ${extension.path} with the remaining arguments`)
      .allowUnknownOption()
      .allowExcessArguments();
  }
  return program;
}

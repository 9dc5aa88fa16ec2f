import type { Command } from "commander";
import { createContext, type Context } from "./context.js";
import type { Io } from "./io.js";
import type { CommonSettings } from "../profile/locate.js";

/** What every command needs to run: the process streams and the common flags, known before parsing. */
export interface Runtime {
  io: Io;
  common: CommonSettings;
}

export interface CommandDefinition<Options> {
  /** Name and positional arguments in commander syntax, e.g. `pull <KNIT_ID> [DEST]`. */
  name: string;
  summary: string;
  /** Longer description shown by --help (defaults to the summary). */
  description?: string;
  /** One or more example invocations shown by --help. */
  examples: string[];
  configure?: (command: Command) => void;
  run: (context: Context, args: string[], options: Options) => Promise<void>;
}

export function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Adds a subcommand whose action runs `run` with a context built for it. */
export function defineCommand<Options>(parent: Command, runtime: Runtime, definition: CommandDefinition<Options>): Command {
  const command = parent
    .command(definition.name)
    .summary(definition.summary)
    .description(definition.description ?? definition.summary)
    .helpCommand(false);
  definition.configure?.(command);
  command.addHelpText("after", `\nExample${definition.examples.length > 1 ? "s" : ""}:\n${definition.examples.map((e) => `  ${e}`).join("\n")}\n`);
  command.action(async (...received: unknown[]) => {
    const self = received.at(-1) as Command;
    const args = (self.processedArgs as unknown[]).flatMap((a) => (a === undefined ? [] : Array.isArray(a) ? (a as string[]) : [a as string]));
    const context = createContext(runtime.io, runtime.common, fullName(self));
    await definition.run(context, args, self.opts() as Options);
  });
  return command;
}

/** Subcommands of a group by name, each added to the group by its function. */
export type Subcommands = Record<string, (group: Command) => void>;

const pendingSubcommands = new WeakMap<Command, Map<string, (group: Command) => void>>();

/**
 * Adds a group such as `data` whose subcommands are added only when `fillGroup` asks for them: a
 * command line addresses one subcommand, and defining every command with its flags costs more of
 * knit's start than `knit version` itself does.
 */
export function defineGroup(parent: Command, name: string, summary: string, examples: string[], subcommands: Subcommands): Command {
  const group = parent.command(name).summary(summary).description(summary).helpCommand(false);
  group.addHelpText("after", `\nExample${examples.length > 1 ? "s" : ""}:\n${examples.map((e) => `  ${e}`).join("\n")}\n`);
  pendingSubcommands.set(group, new Map(Object.entries(subcommands)));
  return group;
}

/**
 * Adds to a group made by `defineGroup` its subcommand `name`, or, when it has none of that name (or
 * none is given: help and completion list them all), every subcommand not added yet, in order.
 * Other commands are left as they are.
 */
export function fillGroup(command: Command, name?: string): Command {
  const pending = pendingSubcommands.get(command);
  if (!pending) return command;
  const one = name === undefined ? undefined : pending.get(name);
  if (one) {
    pending.delete(name as string);
    one(command);
  } else {
    for (const add of pending.values()) add(command);
    pending.clear();
  }
  return command;
}

import { Command, CommanderError } from "commander";
import { addressedCommand, normaliseFlagValues, splitArgv } from "./cli/argv.js";
import { CommandError, UsageError, ValueError } from "./cli/errors.js";
import { extensionCacheFile, findExtensions, runExtension, type Extension } from "./cli/extensions.js";
import { readerLeft, type Io } from "./cli/io.js";
import { HttpError } from "./client/http.js";
import { buildProgram } from "./program.js";
import { resolveCommonSettings } from "./profile/locate.js";

/** Runs `knit` with these arguments (without `node knit`); resolves with the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let split;
  try {
    split = splitArgv(argv);
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\nRun 'knit --help' for usage.\n`);
    return 2;
  }
  const common = resolveCommonSettings(split.common, io.cwd, io.env);
  const extensions = findExtensions(io.env.PATH, io.cwd, extensionCacheFile(io.env));
  let program: Command;
  try {
    program = buildProgram({ io, common }, extensions);
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
  const { command, depth } = addressedCommand(program, split.tokens);

  if (split.help) {
    command.outputHelp({ error: true });
    return 0;
  }

  const extension = command.parent === program ? extensions.find((e) => e.name === command.name()) : undefined;
  if (extension) return runExtension(extension, split.tokens.slice(depth), io, common);

  let tokens: string[];
  try {
    tokens = [...split.tokens.slice(0, depth), ...normaliseFlagValues(command, split.tokens.slice(depth))];
  } catch (error) {
    return usageFailure(command, error as Error, io);
  }

  try {
    await program.parseAsync(tokens, { from: "user" });
    return 0;
  } catch (error) {
    return failure(error, command, io);
  }
}

function usageFailure(command: Command, error: Error, io: Io): number {
  io.stderr.write(`error: ${error.message}\n\n`);
  command.outputHelp({ error: true });
  return 2;
}

function failure(error: unknown, command: Command, io: Io): number {
  // Whatever failed after the reader of stdout went away failed because of that: a normal end.
  if (readerLeft(io.stdout)) return 0;
  if (error instanceof CommanderError) {
    // Commander has already printed the message (and the help, see showHelpAfterError).
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    return 2;
  }
  if (error instanceof UsageError) return usageFailure(command, error, io);
  if (error instanceof ValueError || error instanceof CommandError || error instanceof HttpError) {
    io.stderr.write(`error: ${error.message}\n`);
    return error instanceof CommandError ? error.exitCode : 1;
  }
  const e = error as Error;
  io.stderr.write(`error: ${e?.message ?? String(error)}\n`);
  return 1;
}

export type { Extension };

import type { Command, Option } from "commander";
import { fillGroup } from "./define.js";
import { UsageError } from "./errors.js";
import { BOOLEAN_WORDS } from "./values.js";
import type { CommonFlags } from "../profile/locate.js";

const COMMON_FLAGS: Record<string, keyof CommonFlags> = {
  "--profile": "profile",
  "--profile-store": "profileStore",
  "--env": "env",
};

export interface SplitArgv {
  common: CommonFlags;
  /** The remaining tokens, in order, without common flags and help flags. */
  tokens: string[];
  /** Whether `-h`/`--help` appeared anywhere before `--`. */
  help: boolean;
}

/**
 * Takes the common flags (`--profile`, `--profile-store`, `--env`) and help flags out of the whole
 * argv before dispatch, as the reference's root group does, so they work at any position.
 */
export function splitArgv(argv: string[]): SplitArgv {
  const common: CommonFlags = {};
  const tokens: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      tokens.push(...argv.slice(i));
      break;
    }
    if (token === "-h" || token === "--help") {
      help = true;
      continue;
    }
    const eq = token.indexOf("=");
    const name = eq > 0 ? token.slice(0, eq) : token;
    const key = COMMON_FLAGS[name];
    if (key === undefined) {
      tokens.push(token);
      continue;
    }
    if (eq > 0) {
      common[key] = token.slice(eq + 1);
    } else {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError(`flag ${name} needs a value`);
      common[key] = value;
      i++;
    }
  }
  return { common, tokens, help };
}

/**
 * The command addressed by the leading tokens, and how many tokens name it. Groups on the way get the
 * subcommand a token names defined (see `fillGroup`); an addressed group gets all of them.
 */
export function addressedCommand(program: Command, tokens: string[]): { command: Command; depth: number } {
  let command = program;
  let depth = 0;
  for (const token of tokens) {
    const next = fillGroup(command, token).commands.find((c) => c.name() === token || c.aliases().includes(token));
    if (!next) break;
    command = next;
    depth++;
  }
  return { command: fillGroup(command), depth };
}

function findOption(command: Command, flag: string): Option | undefined {
  return command.options.find((o) => o.long === flag || o.short === flag);
}

function isBoolean(option: Option): boolean {
  return !option.required && !option.optional;
}

/**
 * Rewrites flags the way the reference's parser (flarc) reads them and commander does not:
 * - a boolean flag followed by a boolean word (`--fail no`, `--name=yes`): a true word is consumed,
 *   a false word removes the flag;
 * - a short flag written with `=` (`-t=key:value`): split at the first `=`, where commander would
 *   take `=key:value` as the value.
 */
export function normaliseFlagValues(command: Command, tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === "--") {
      out.push(...tokens.slice(i));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      out.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const flag = eq > 0 ? token.slice(0, eq) : token;
    const option = findOption(command, flag);
    if (!option) {
      out.push(token);
      continue;
    }
    if (!isBoolean(option)) {
      if (eq > 0) out.push(flag, token.slice(eq + 1));
      else {
        out.push(token);
        if (i + 1 < tokens.length) out.push(tokens[++i] as string);
      }
      continue;
    }
    const word = eq > 0 ? token.slice(eq + 1) : tokens[i + 1];
    const value = word === undefined ? undefined : BOOLEAN_WORDS[word.toLowerCase()];
    if (eq > 0 && value === undefined) {
      throw new UsageError(`flag ${flag}: '${word}' is not a boolean (use true/false, yes/no, on/off, 1/0)`);
    }
    if (value !== undefined && eq < 0) i++;
    if (value !== false) out.push(flag);
  }
  return out;
}

import type { Context } from "./context.js";
import { write } from "./io.js";
import { goJson, jsonDocument } from "./json.js";

/** Prints a result document to stdout the usual way (4-space JSON and a newline). */
export function printJson(context: Context, value: unknown): Promise<void> {
  return write(context.io.stdout, jsonDocument(value));
}

/** Prints JSON with the given indentation and no trailing newline (`plan resource`, `data push`). */
export function printJsonBare(context: Context, value: unknown, indent: number): Promise<void> {
  return write(context.io.stdout, goJson(value, indent));
}

import type { Context } from "./context.js";
import { goJson, jsonDocument } from "./json.js";

/** Prints a result document to stdout the usual way (4-space JSON and a newline). */
export function printJson(context: Context, value: unknown): Promise<void> {
  return context.io.print(jsonDocument(value));
}

/** Prints JSON with the given indentation and no trailing newline (`plan resource`, `data push`). */
export function printJsonBare(context: Context, value: unknown, indent: number): Promise<void> {
  return context.io.print(goJson(value, indent));
}

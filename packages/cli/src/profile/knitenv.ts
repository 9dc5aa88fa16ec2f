import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { CommandError } from "../cli/errors.js";
import { parseTag, type Tag } from "../cli/values.js";

/** Project defaults from the `knitenv` file: tags for pushed data and templates, resources for templates. */
export interface KnitEnv {
  tags: Tag[];
  resources: Record<string, string>;
}

/** Loads a knitenv file; a missing file is an empty environment. */
export async function loadKnitEnv(path: string): Promise<KnitEnv> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { tags: [], resources: {} };
    throw new CommandError(`cannot read knitenv ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new CommandError(`knitenv ${path} is not valid YAML: ${(error as Error).message}`);
  }
  return knitEnvFrom(parsed, path);
}

export function knitEnvFrom(parsed: unknown, path: string): KnitEnv {
  const env: KnitEnv = { tags: [], resources: {} };
  if (parsed === null || parsed === undefined) return env;
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new CommandError(`knitenv ${path} must be a YAML map with 'tag' and/or 'resource'`);
  }
  const record = parsed as Record<string, unknown>;
  const tags = record.tag ?? [];
  if (!Array.isArray(tags)) throw new CommandError(`knitenv ${path}: 'tag' must be a list of "key:value" strings or {key, value} maps`);
  for (const entry of tags) {
    if (typeof entry === "string") {
      env.tags.push(parseTag(entry));
    } else if (entry && typeof entry === "object" && "key" in entry && "value" in entry) {
      env.tags.push({ key: String((entry as { key: unknown }).key), value: String((entry as { value: unknown }).value) });
    } else {
      throw new CommandError(`knitenv ${path}: tag entry ${JSON.stringify(entry)} is neither "key:value" nor {key, value}`);
    }
  }
  const resources = record.resource ?? {};
  if (typeof resources !== "object" || resources === null || Array.isArray(resources)) {
    throw new CommandError(`knitenv ${path}: 'resource' must be a map such as {cpu: "1", memory: 1Gi}`);
  }
  for (const [type, quantity] of Object.entries(resources as Record<string, unknown>)) {
    env.resources[type] = String(quantity);
  }
  return env;
}

import { readFile } from "node:fs/promises";
import { parse } from "yaml";

/** The lifecycle hook URLs (spec/api.md §7): every before hook gates a transition, after hooks are told of it. */
export interface HookUrls {
  before: string[];
  after: string[];
}

export const NO_HOOKS: HookUrls = { before: [], after: [] };

export class HooksFileError extends Error {
  override name = "HooksFileError";
}

/**
 * Reads a hooks YAML file: `lifecycle-hooks: {before: [url...], after: [url...]}`. Other top-level
 * keys are ignored (the reference has an unused `hooks` structure); a malformed file is refused with
 * what to fix, so a typo never silently disables the gate.
 */
export async function loadHooksFile(path: string): Promise<HookUrls> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new HooksFileError(`cannot read the hooks file ${path}: ${(error as Error).message}`);
  }
  return parseHooks(text, path);
}

export function parseHooks(text: string, where = "hooks file"): HookUrls {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new HooksFileError(`${where} is not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return { before: [], after: [] };
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new HooksFileError(`${where} must be a mapping with a "lifecycle-hooks" key`);
  }
  const section = (document as Record<string, unknown>)["lifecycle-hooks"];
  if (section === undefined || section === null) return { before: [], after: [] };
  if (typeof section !== "object" || Array.isArray(section)) {
    throw new HooksFileError(`${where}: "lifecycle-hooks" must be a mapping with "before" and "after" URL lists`);
  }
  const urls = (key: "before" | "after"): string[] => {
    const list = (section as Record<string, unknown>)[key];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw new HooksFileError(`${where}: lifecycle-hooks.${key} must be a list of URLs`);
    return list.map((item, index) => {
      if (typeof item !== "string") throw new HooksFileError(`${where}: lifecycle-hooks.${key}[${index}] must be a URL string`);
      let url: URL;
      try {
        url = new URL(item);
      } catch {
        throw new HooksFileError(`${where}: lifecycle-hooks.${key}[${index}] "${item}" is not a URL`);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new HooksFileError(`${where}: lifecycle-hooks.${key}[${index}] "${item}" must be http:// or https://`);
      }
      return item;
    });
  };
  return { before: urls("before"), after: urls("after") };
}

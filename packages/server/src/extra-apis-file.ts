import { readFile } from "node:fs/promises";
import { posix } from "node:path";
import { parseDocument } from "yaml";

/** One extra API (spec/api.md §6): requests to `path` and below are forwarded to `proxyTo`. */
export interface ExtraApiEndpoint {
  /** absolute, clean, without a trailing slash */
  path: string;
  proxyTo: URL;
  /**
   * With access control on, the caller's `Authorization` header (its Knitfab token) is kept from
   * the upstream unless the endpoint says `forward_authorization: true`.
   */
  forwardAuthorization?: boolean;
}

export class ExtraApisFileError extends Error {
  override name = "ExtraApisFileError";
}

/** Paths this server answers itself; an extra API may not take them or a path under them. */
export const RESERVED_PATHS = ["/api", "/metrics", "/healthz", "/readyz"] as const;

/** Reads and checks an `--extra-apis` file; any mistake is an ExtraApisFileError saying what to fix. */
export async function loadExtraApisFile(file: string): Promise<ExtraApiEndpoint[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ExtraApisFileError(`cannot read the extra APIs file ${file}: ${(error as Error).message}`);
  }
  return parseExtraApis(text, file);
}

/**
 * `endpoints: [{path, proxy_to}]`, as the reference's file (an empty file or `endpoints: []`: none).
 * Unknown keys are refused rather than ignored: a misspelt `proxy-to` would otherwise vanish silently.
 */
export function parseExtraApis(text: string, source: string): ExtraApiEndpoint[] {
  const fail = (message: string): never => {
    throw new ExtraApisFileError(`${source}: ${message}`);
  };
  const document = parseDocument(text);
  if (document.errors.length > 0) fail(`not valid YAML: ${document.errors[0]!.message}`);
  const root: unknown = document.toJS();
  if (root === null || root === undefined) return [];
  if (!isRecord(root)) return fail("the file must be a mapping with an `endpoints` list");
  for (const key of Object.keys(root)) if (key !== "endpoints") fail(`unknown key "${key}"; the file holds only \`endpoints\``);
  const endpoints = root.endpoints ?? [];
  if (!Array.isArray(endpoints)) return fail("`endpoints` must be a list of {path, proxy_to}");
  const seen = new Set<string>();
  return endpoints.map((entry: unknown, index) => {
    const where = `endpoints[${index}]`;
    if (!isRecord(entry)) return fail(`${where} must be a mapping with path and proxy_to`);
    for (const key of Object.keys(entry)) {
      if (!ENDPOINT_KEYS.includes(key)) fail(`${where}: unknown key "${key}"; use path and proxy_to (and optionally forward_authorization)`);
    }
    const path = checkedPath(entry.path, where, fail);
    if (seen.has(path)) fail(`${where}: path ${path} is listed twice`);
    seen.add(path);
    const forward = entry.forward_authorization;
    if (forward !== undefined && typeof forward !== "boolean") fail(`${where}: forward_authorization must be true or false`);
    return { path, proxyTo: checkedUpstream(entry.proxy_to, where, fail), ...(forward === true ? { forwardAuthorization: true } : {}) };
  });
}

const ENDPOINT_KEYS = ["path", "proxy_to", "forward_authorization"];

function checkedPath(value: unknown, where: string, fail: (message: string) => never): string {
  if (typeof value !== "string" || value === "") return fail(`${where}: path is missing; write an absolute path such as /my/api`);
  if (!value.startsWith("/")) return fail(`${where}: path "${value}" is not absolute; write it with a leading /, e.g. /${value}`);
  if (posix.normalize(value) !== value || (value.length > 1 && value.endsWith("/"))) {
    return fail(`${where}: path "${value}" is not clean (no //, . or .. segments, no trailing /); write ${cleanPath(value)}`);
  }
  // the router reads : and * as parameters and wildcards; ? and # cannot be part of a path
  if (/[:*?#\s]/.test(value)) return fail(`${where}: path "${value}" may not contain :, *, ?, # or spaces`);
  if (value === "/") return fail(`${where}: path / would take every path, this server's own included; choose a path such as /my/api`);
  const reserved = RESERVED_PATHS.find((own) => value === own || value.startsWith(`${own}/`));
  if (reserved) return fail(`${where}: path "${value}" is reserved: ${reserved} and everything under it belong to knitfab`);
  return value;
}

function checkedUpstream(value: unknown, where: string, fail: (message: string) => never): URL {
  if (typeof value !== "string" || value === "") return fail(`${where}: proxy_to is missing; write an absolute URL such as http://my-service:8080/api`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`${where}: proxy_to "${value}" is not an absolute URL; write one such as http://my-service:8080/api`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return fail(`${where}: proxy_to "${value}" must be an http:// or https:// URL`);
  if (url.hostname === "") return fail(`${where}: proxy_to "${value}" names no host`);
  return url;
}

function cleanPath(path: string): string {
  const clean = posix.normalize(`/${path}`);
  return clean.length > 1 ? clean.replace(/\/+$/, "") : clean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

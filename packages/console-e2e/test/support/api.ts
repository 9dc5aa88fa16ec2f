// Creates data and plans through the real HTTP API, as a user of `knit` would.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { DataDetail, PlanDetail, RunDetail } from "@knitfab/api";

async function call<T>(base: string, method: string, path: string, body?: unknown, contentType = "application/json", token?: string): Promise<T> {
  const init: RequestInit = { method, ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}) };
  if (body !== undefined) {
    const headers: Record<string, string> = { "Content-Type": contentType, ...(token ? { Authorization: `Bearer ${token}` } : {}) };
    // uploads need a checksum; fetch cannot send trailers, so it goes as a header
    if (body instanceof Uint8Array) headers["x-checksum-md5"] = createHash("md5").update(body).digest("hex");
    init.headers = headers;
    init.body = body instanceof Uint8Array ? new Blob([body as Uint8Array<ArrayBuffer>]) : JSON.stringify(body);
  }
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}

/** A tar.gz of small files ("sub/name" makes the folder), made with the system tar (entry names relative, no "./"). */
export function tarball(files: Record<string, string | Uint8Array>): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "knitfab-console-data-"));
  try {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return new Uint8Array(execFileSync("tar", ["-czf", "-", "-C", dir, ...Object.keys(files)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `token`: the API token of a server started with `--auth tokens` (used by upload only). */
export function apiClient(base: string, token?: string) {
  return {
    async upload(tags: string[], files: Record<string, string | Uint8Array> = { "file.txt": "hello\n" }): Promise<DataDetail> {
      const created = await call<DataDetail>(base, "POST", "/api/data/", tarball(files), "application/tar+gzip", token);
      if (tags.length === 0) return created;
      return call<DataDetail>(base, "PUT", `/api/data/${created.knitId}/`, { add: tags, remove: [] }, "application/json", token);
    },
    applyPlan: (spec: unknown) => call<PlanDetail>(base, "POST", "/api/plans/", spec),
    getPlan: (planId: string) => call<PlanDetail>(base, "GET", `/api/plans/${planId}/`),
    findData: (query: string) => call<DataDetail[]>(base, "GET", `/api/data/${query}`),
    getData: async (knitId: string) => (await call<DataDetail[]>(base, "GET", `/api/data/?tag=${encodeURIComponent(`knit#id:${knitId}`)}`))[0],
    findRuns: (query: string) => call<RunDetail[]>(base, "GET", `/api/runs/${query}`),
    getRun: (runId: string) => call<RunDetail>(base, "GET", `/api/runs/${runId}/`),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** Polls `check` until it returns a value; fails with `what` if that never happens within `ms`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

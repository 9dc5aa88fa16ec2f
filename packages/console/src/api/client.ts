// HTTP calls to the API on the same origin. Every failure becomes an ApiError carrying the server's message.
import type { DataDetail, DataFileList, PlanDetail, RunDetail, RunTimeline, TagChange } from "@knitfab/api";
import { asksForToken, sessionToken, waitForToken } from "./auth.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Reads the `{"message": ...}` error body the API sends; falls back to the raw text. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => "");
  let message = text.trim();
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && "message" in parsed && typeof parsed.message === "string") {
      message = parsed.message;
    }
  } catch {
    // not JSON: keep the raw text
  }
  if (message === "") message = `${response.status} ${response.statusText}`;
  return new ApiError(response.status, message);
}

/**
 * Waits before each new attempt of a read that could not reach the server: a network that changed
 * under the browser (Wi-Fi roaming, a VPN, a container network created on the machine) fails
 * requests in flight with no answer, and a large view would otherwise show them as failed nodes.
 */
const READ_RETRY_DELAYS_MS = [200, 1000];

async function request(method: string, url: string, body?: unknown, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
  let failedAttempts = 0;
  for (;;) {
    const token = sessionToken();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        signal,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      // Only reads are sent again: a write may have reached the server before the connection failed.
      const delay = method === "GET" ? READ_RETRY_DELAYS_MS[failedAttempts] : undefined;
      if (delay !== undefined) {
        failedAttempts++;
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (signal?.aborted) throw new DOMException("aborted", "AbortError");
        continue;
      }
      throw new ApiError(0, `cannot reach the server (${String(error)}); check that it is running and retry`);
    }
    if (asksForToken(response)) {
      // the server needs an API token: ask for it once (all waiting requests share the form), then ask again
      await response.body?.cancel().catch(() => undefined);
      await waitForToken(token !== undefined);
      if (signal?.aborted) throw new DOMException("aborted", "AbortError");
      continue;
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }
}

async function json<T>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const response = await request(method, url, body, signal);
  return (await response.json()) as T;
}

const id = (value: string) => encodeURIComponent(value);

/**
 * Our `/api/x/` extension (README "Extensions to the API"). The paths are written out here because
 * @knitfab/api's EXTENSION_PATHS lives beside TypeBox schemas, which the bundle must not pull in.
 */
const dataFilesUrl = (knitId: string, path: string) => `/api/x/data/${id(knitId)}/files?${new URLSearchParams({ path, recursive: "true" }).toString()}`;
const dataFileUrl = (knitId: string, path: string) => `/api/x/data/${id(knitId)}/file?${new URLSearchParams({ path }).toString()}`;

/** A byte range of a file: the first `length` bytes, or the last `suffix` bytes. */
export type FileRange = { length: number } | { suffix: number };

/** Bytes read from a file, with where they sit in it. */
export interface FileBytes {
  bytes: Uint8Array;
  /** Offset of the first byte in the file. */
  start: number;
  /** The file's size in bytes. */
  size: number;
}

/**
 * Reads one range of a Data's file. The read stops after the range's length even if the server sent
 * more (a 200 with the whole file), so a large file is never held whole in memory.
 */
async function readFileRange(knitId: string, path: string, range: FileRange, signal?: AbortSignal): Promise<FileBytes> {
  const header = "length" in range ? `bytes=0-${Math.max(0, range.length - 1)}` : `bytes=-${range.suffix}`;
  const response = await request("GET", dataFileUrl(knitId, path), undefined, signal, { Range: header });
  const limit = "length" in range ? range.length : range.suffix;
  const bytes = await readAtMost(response, limit);
  const contentRange = /^bytes (\d+)-\d+\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
  if (response.status === 206 && contentRange) return { bytes, start: Number(contentRange[1]), size: Number(contentRange[2]) };
  // A whole file (200): what we kept is its beginning.
  const length = Number(response.headers.get("content-length") ?? bytes.length);
  return { bytes, start: 0, size: Number.isFinite(length) ? length : bytes.length };
}

async function readAtMost(response: Response, limit: number): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  await reader.cancel().catch(() => undefined);
  const joined = new Uint8Array(Math.min(total, limit));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, joined.length - offset);
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

export const api = {
  listData: (url: string, signal?: AbortSignal) => json<DataDetail[]>("GET", url, undefined, signal),
  listPlans: (url: string, signal?: AbortSignal) => json<PlanDetail[]>("GET", url, undefined, signal),
  listRuns: (url: string, signal?: AbortSignal) => json<RunDetail[]>("GET", url, undefined, signal),

  /** One data item by id, through the `knit#id` tag filter (there is no single-data JSON endpoint). */
  async getData(knitId: string, signal?: AbortSignal): Promise<DataDetail> {
    const params = new URLSearchParams({ tag: `knit#id:${knitId}` });
    const found = await json<DataDetail[]>("GET", `/api/data/?${params.toString()}`, undefined, signal);
    const first = found[0];
    if (!first) throw new ApiError(404, `data ${knitId} not found`);
    return first;
  },
  getPlan: (planId: string, signal?: AbortSignal) => json<PlanDetail>("GET", `/api/plans/${id(planId)}/`, undefined, signal),
  getRun: (runId: string, signal?: AbortSignal) => json<RunDetail>("GET", `/api/runs/${id(runId)}/`, undefined, signal),

  changeTags: (knitId: string, change: TagChange) => json<DataDetail>("PUT", `/api/data/${id(knitId)}/`, change),
  setPlanActive: (planId: string, active: boolean) =>
    json<PlanDetail>(active ? "PUT" : "DELETE", `/api/plans/${id(planId)}/active`),

  abortRun: (runId: string) => json<RunDetail>("PUT", `/api/runs/${id(runId)}/abort`),
  tearoffRun: (runId: string) => json<RunDetail>("PUT", `/api/runs/${id(runId)}/tearoff`),
  async retryRun(runId: string): Promise<void> {
    await request("PUT", `/api/runs/${id(runId)}/retry`);
  },
  async deleteRun(runId: string): Promise<void> {
    await request("DELETE", `/api/runs/${id(runId)}/`);
  },

  /** Every file and folder of a sealed data item, with totals. */
  listFiles: (knitId: string, signal?: AbortSignal) => json<DataFileList>("GET", dataFilesUrl(knitId, ""), undefined, signal),
  readFileRange,
  dataFileUrl,

  /** Runs with the times they entered each status (extension): `plan=ID,ID` and/or `run=ID,ID`. */
  runTimeline: (query: URLSearchParams, signal?: AbortSignal) => json<RunTimeline>("GET", `/api/x/runs/timeline?${query.toString()}`, undefined, signal),

  dataDownloadUrl: (knitId: string) => `/api/data/${id(knitId)}/`,
  runLogUrl: (runId: string, follow: boolean) => `/api/runs/${id(runId)}/log${follow ? "?follow" : ""}`,
};

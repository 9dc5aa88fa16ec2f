// HTTP calls to the API on the same origin. Every failure becomes an ApiError carrying the server's message.
import type { DataDetail, PlanDetail, RunDetail, TagChange } from "@knitfab/api";

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

async function request(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      signal,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, `cannot reach the server (${String(error)}); check that it is running and retry`);
  }
  if (!response.ok) throw await errorFromResponse(response);
  return response;
}

async function json<T>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const response = await request(method, url, body, signal);
  return (await response.json()) as T;
}

const id = (value: string) => encodeURIComponent(value);

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

  dataDownloadUrl: (knitId: string) => `/api/data/${id(knitId)}/`,
  runLogUrl: (runId: string, follow: boolean) => `/api/runs/${id(runId)}/log${follow ? "?follow" : ""}`,
};

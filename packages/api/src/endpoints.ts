import type { TSchema } from "@sinclair/typebox";
import { DataDetail, DataDetailList } from "./data-json.js";
import { PlanDetail, PlanDetailList } from "./plan-json.js";
import { DataFindQuery, KnitIdParams, PlanFindQuery, PlanIdParams, PrettyQuery, RunFindQuery, RunIdParams, RunLogQuery } from "./queries.js";
import { AnnotationChange, PlanSpec, ResourceLimitChange, SetServiceAccount, TagChange } from "./requests.js";
import { RunDetail, RunDetailList } from "./run-json.js";
import { ImportToken } from "./transfer.js";

/** A body that is not JSON: nothing, a gzip'd tar, raw log bytes, or an import token (text). */
export type RawBody = "empty" | "tar.gz" | "log" | "jwt";

export interface Endpoint {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** as spec/api.md writes it; a trailing `/` is optional on the wire */
  path: string;
  params?: TSchema;
  query?: TSchema;
  body?: TSchema | RawBody;
  /** the success status; every error answers ErrorBody */
  status: 200 | 204;
  response: TSchema | RawBody;
  /** a JWT the server sends as text, checked against this schema */
  responseText?: TSchema;
}

/**
 * Every endpoint of spec/api.md (§2 frontend, §4 backend) with its request and success response.
 * Errors are ErrorBody everywhere.
 */
export const ENDPOINTS = {
  findData: { method: "GET", path: "/api/data/", query: DataFindQuery, status: 200, response: DataDetailList },
  uploadData: { method: "POST", path: "/api/data/", body: "tar.gz", status: 200, response: DataDetail },
  downloadData: { method: "GET", path: "/api/data/{knitId}/", params: KnitIdParams, status: 200, response: "tar.gz" },
  changeDataTags: { method: "PUT", path: "/api/data/{knitId}/", params: KnitIdParams, query: PrettyQuery, body: TagChange, status: 200, response: DataDetail },

  findPlans: { method: "GET", path: "/api/plans/", query: PlanFindQuery, status: 200, response: PlanDetailList },
  applyPlan: { method: "POST", path: "/api/plans/", query: PrettyQuery, body: PlanSpec, status: 200, response: PlanDetail },
  showPlan: { method: "GET", path: "/api/plans/{planId}/", params: PlanIdParams, query: PrettyQuery, status: 200, response: PlanDetail },
  activatePlan: { method: "PUT", path: "/api/plans/{planId}/active", params: PlanIdParams, query: PrettyQuery, status: 200, response: PlanDetail },
  deactivatePlan: { method: "DELETE", path: "/api/plans/{planId}/active", params: PlanIdParams, query: PrettyQuery, status: 200, response: PlanDetail },
  changePlanResources: {
    method: "PUT",
    path: "/api/plans/{planId}/resources",
    params: PlanIdParams,
    query: PrettyQuery,
    body: ResourceLimitChange,
    status: 200,
    response: PlanDetail,
  },
  changePlanAnnotations: {
    method: "PUT",
    path: "/api/plans/{planId}/annotations",
    params: PlanIdParams,
    query: PrettyQuery,
    body: AnnotationChange,
    status: 200,
    response: PlanDetail,
  },
  setPlanServiceAccount: {
    method: "PUT",
    path: "/api/plans/{planId}/serviceaccount",
    params: PlanIdParams,
    query: PrettyQuery,
    body: SetServiceAccount,
    status: 200,
    response: PlanDetail,
  },
  unsetPlanServiceAccount: {
    method: "DELETE",
    path: "/api/plans/{planId}/serviceaccount",
    params: PlanIdParams,
    query: PrettyQuery,
    status: 200,
    response: PlanDetail,
  },

  findRuns: { method: "GET", path: "/api/runs/", query: RunFindQuery, status: 200, response: RunDetailList },
  showRun: { method: "GET", path: "/api/runs/{runId}/", params: RunIdParams, query: PrettyQuery, status: 200, response: RunDetail },
  abortRun: { method: "PUT", path: "/api/runs/{runId}/abort", params: RunIdParams, query: PrettyQuery, status: 200, response: RunDetail },
  tearoffRun: { method: "PUT", path: "/api/runs/{runId}/tearoff", params: RunIdParams, query: PrettyQuery, status: 200, response: RunDetail },
  retryRun: { method: "PUT", path: "/api/runs/{runId}/retry", params: RunIdParams, status: 200, response: "empty" },
  deleteRun: { method: "DELETE", path: "/api/runs/{runId}/", params: RunIdParams, status: 204, response: "empty" },
  runLog: { method: "GET", path: "/api/runs/{runId}/log", params: RunIdParams, query: RunLogQuery, status: 200, response: "log" },

  backendUploadData: { method: "POST", path: "/api/backend/data/", body: "tar.gz", status: 200, response: DataDetail },
  backendDownloadData: { method: "GET", path: "/api/backend/data/{knitId}/", params: KnitIdParams, status: 200, response: "tar.gz" },
  backendRunLog: { method: "GET", path: "/api/backend/runs/{runId}/log/", params: RunIdParams, query: RunLogQuery, status: 200, response: "log" },
  beginImport: { method: "POST", path: "/api/backend/data/import/begin/", status: 200, response: "jwt", responseText: ImportToken },
  endImport: { method: "POST", path: "/api/backend/data/import/end/", body: "jwt", status: 200, response: DataDetail },
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof ENDPOINTS;

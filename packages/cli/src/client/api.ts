import type { ApiClient } from "./http.js";
import type { DataDetail, DataFileList, PlanDetail, PlanSpec, RunDetail, TagChange } from "@knitfab/api";

/** Typed calls of the frontend API (api.md §2); errors surface as `HttpError`. */

export function findData(client: ApiClient, query: { tags: string[]; since?: string; duration?: string }): Promise<DataDetail[]> {
  const q: [string, string][] = query.tags.map((t) => ["tag", t]);
  if (query.since !== undefined) q.push(["since", query.since]);
  if (query.duration !== undefined) q.push(["duration", query.duration]);
  return client.json("GET", ["data"], { query: q });
}

export function changeDataTags(client: ApiClient, knitId: string, change: TagChange): Promise<DataDetail> {
  return client.json("PUT", ["data", knitId], { json: change });
}

/** Our extension: what is at `path` inside a Data (its folder's entries, or the one file). */
export function listDataFiles(client: ApiClient, knitId: string, path: string, recursive: boolean): Promise<DataFileList> {
  const query: [string, string][] = [["path", path]];
  if (recursive) query.push(["recursive", "true"]);
  return client.json("GET", ["x", "data", knitId, "files"], { query });
}

export function findPlans(client: ApiClient, query: { active?: boolean; image?: string; inTags: string[]; outTags: string[] }): Promise<PlanDetail[]> {
  const q: [string, string][] = [];
  if (query.active !== undefined) q.push(["active", String(query.active)]);
  if (query.image !== undefined) q.push(["image", query.image]);
  for (const t of query.inTags) q.push(["in_tag", t]);
  for (const t of query.outTags) q.push(["out_tag", t]);
  return client.json("GET", ["plans"], { query: q });
}

export function getPlan(client: ApiClient, planId: string): Promise<PlanDetail> {
  return client.json("GET", ["plans", planId]);
}

export function applyPlan(client: ApiClient, spec: PlanSpec): Promise<PlanDetail> {
  return client.json("POST", ["plans"], { json: spec });
}

export function setPlanActive(client: ApiClient, planId: string, active: boolean): Promise<PlanDetail> {
  return client.json(active ? "PUT" : "DELETE", ["plans", planId, "active"]);
}

export function changePlanResources(client: ApiClient, planId: string, change: { set: Record<string, string>; unset: string[] }): Promise<PlanDetail> {
  return client.json("PUT", ["plans", planId, "resources"], { json: change });
}

export function changePlanAnnotations(client: ApiClient, planId: string, change: { add: string[]; remove: string[]; remove_key: string[] }): Promise<PlanDetail> {
  return client.json("PUT", ["plans", planId, "annotations"], { json: change });
}

export function setPlanServiceAccount(client: ApiClient, planId: string, name: string | undefined): Promise<PlanDetail> {
  return name === undefined
    ? client.json("DELETE", ["plans", planId, "serviceaccount"])
    : client.json("PUT", ["plans", planId, "serviceaccount"], { json: { service_account: name } });
}

export function findRuns(client: ApiClient, query: { plans: string[]; inputs: string[]; outputs: string[]; statuses: string[]; since?: string; duration?: string }): Promise<RunDetail[]> {
  const q: [string, string][] = [];
  if (query.plans.length) q.push(["plan", query.plans.join(",")]);
  if (query.inputs.length) q.push(["knitIdInput", query.inputs.join(",")]);
  if (query.outputs.length) q.push(["knitIdOutput", query.outputs.join(",")]);
  if (query.statuses.length) q.push(["status", query.statuses.join(",")]);
  if (query.since !== undefined) q.push(["since", query.since]);
  if (query.duration !== undefined) q.push(["duration", query.duration]);
  return client.json("GET", ["runs"], { query: q });
}

export function getRun(client: ApiClient, runId: string): Promise<RunDetail> {
  return client.json("GET", ["runs", runId]);
}

export function abortRun(client: ApiClient, runId: string): Promise<RunDetail> {
  return client.json("PUT", ["runs", runId, "abort"]);
}

export function tearoffRun(client: ApiClient, runId: string): Promise<RunDetail> {
  return client.json("PUT", ["runs", runId, "tearoff"]);
}

export async function retryRun(client: ApiClient, runId: string): Promise<void> {
  await client.json<unknown>("PUT", ["runs", runId, "retry"]);
}

export async function deleteRun(client: ApiClient, runId: string): Promise<void> {
  await client.json<unknown>("DELETE", ["runs", runId]);
}

/** Small helpers over a server's real HTTP API: Data, Plans and Runs as a client makes them. */
import { Readable } from "node:stream";
import { rawTarGz } from "@knitfab/archive";
import { callJson, uploadTarGz, type Json } from "@knitfab/testing";

/** Uploads files as a new Data and tags it; returns its knitId. */
export async function pushData(apiRoot: string, files: { name: string; content: string }[], tags: string[]): Promise<string> {
  const archive = rawTarGz(files.map((file) => ({ path: file.name, content: file.content })));
  const result = await uploadTarGz(apiRoot, Readable.from([archive]));
  if (result.status !== 200) throw new Error(`upload failed: ${result.status} ${JSON.stringify(result.body)}`);
  const knitId = String((result.body as Json).knitId);
  const tagged = await callJson(`${apiRoot}/data/${knitId}`, { method: "PUT", body: { add: tags } });
  if (tagged.status !== 200) throw new Error(`tagging failed: ${tagged.status} ${tagged.text}`);
  return knitId;
}

export async function applyPlan(apiRoot: string, body: Json): Promise<string> {
  const response = await callJson<Json>(`${apiRoot}/plans`, { method: "POST", body });
  if (response.status !== 200) throw new Error(`plan apply failed: ${response.status} ${response.text}`);
  return String(response.body.planId);
}

/** Polls the runs of a plan until `done` says so (bounded; the bound is a hang guard, not a verdict). */
export async function waitForRuns(
  apiRoot: string,
  planId: string,
  done: (runs: Json[]) => boolean,
  timeoutMs = 60_000,
): Promise<Json[]> {
  const deadline = Date.now() + timeoutMs;
  let runs: Json[] = [];
  while (Date.now() < deadline) {
    runs = (await callJson<Json[]>(`${apiRoot}/runs?plan=${planId}`)).body ?? [];
    if (done(runs)) return runs;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`runs of plan ${planId} did not reach the expected state in time: ${JSON.stringify(runs.map((r) => [r.runId, r.status, r.exit]))}`);
}

export async function getRun(apiRoot: string, runId: string): Promise<Json> {
  return (await callJson<Json>(`${apiRoot}/runs/${runId}`)).body;
}

export async function runLog(apiRoot: string, runId: string, follow = false): Promise<{ status: number; text: string }> {
  const response = await fetch(`${apiRoot}/runs/${runId}/log${follow ? "?follow" : ""}`);
  return { status: response.status, text: await response.text() };
}

/** Shared by the admin tests: a finished two-step pipeline, and the API's view of everything, to compare installations. */
import { callJson, allFinished, shellPlan, type Json } from "@knitfab/testing";
import { applyPlan, pushData, waitForRuns } from "../../test-support/index.js";

/** Pushes a dataset and runs two chained plans (with logs) to done; returns their plan ids. */
export async function finishedPipeline(apiRoot: string): Promise<{ plans: string[] }> {
  const project = `p${Date.now()}`;
  const first = await applyPlan(
    apiRoot,
    shellPlan("mkdir -p /out/model/sub; wc -w < /in/data/numbers.txt > /out/model/words; printf 'a\\0b' > /out/model/sub/bin; echo trained", {
      inputs: [{ path: "/in/data", tags: [`project:${project}`, "type:dataset"] }],
      outputs: [{ path: "/out/model", tags: [`project:${project}`, "type:model"] }],
    }),
  );
  const second = await applyPlan(
    apiRoot,
    shellPlan("expr $(cat /in/model/words) \\* 10 > /out/score/score; echo scored", {
      inputs: [{ path: "/in/model", tags: [`project:${project}`, "type:model"] }],
      outputs: [{ path: "/out/score", tags: [`project:${project}`, "type:score"] }],
    }),
  );
  await pushData(apiRoot, [{ name: "numbers.txt", content: "1 2 3 4" }, { name: "notes/readme.md", content: "# data\n" }], [
    `project:${project}`,
    "type:dataset",
  ]);
  const [train] = await waitForRuns(apiRoot, first, allFinished(1));
  const [score] = await waitForRuns(apiRoot, second, allFinished(1));
  if (train?.status !== "done" || score?.status !== "done") throw new Error(`the pipeline did not finish: ${JSON.stringify([train, score])}`);
  return { plans: [first, second] };
}

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/**
 * Everything a user can see of an installation through the API: plans, runs, Data with tags and
 * lineage, every Data's file listing and every file's bytes (base64), every run's log.
 */
export async function snapshot(apiRoot: string): Promise<Json> {
  const data = (await callJson<Json[]>(`${apiRoot}/data/`)).body.sort(byJson);
  const runs = (await callJson<Json[]>(`${apiRoot}/runs/`)).body.sort(byJson);
  const plans = (await callJson<Json[]>(`${apiRoot}/plans/`)).body.sort(byJson);
  const contents: Record<string, Json> = {};
  for (const item of data) {
    const knitId = String(item.knitId);
    const listing = (await callJson<Json>(`${apiRoot}/x/data/${knitId}/files?recursive=true`)).body;
    const files: Record<string, string> = {};
    for (const entry of (listing.entries as Json[] | undefined) ?? []) {
      if (entry.type !== "file") continue;
      const response = await fetch(`${apiRoot}/x/data/${knitId}/file?path=${encodeURIComponent(String(entry.path))}`);
      files[String(entry.path)] = Buffer.from(await response.arrayBuffer()).toString("base64");
    }
    contents[knitId] = { listing, files };
  }
  const logs: Record<string, string> = {};
  for (const run of runs) {
    const response = await fetch(`${apiRoot}/runs/${String(run.runId)}/log`);
    logs[String(run.runId)] = `${response.status} ${await response.text()}`;
  }
  return { data, runs, plans, contents, logs };
}

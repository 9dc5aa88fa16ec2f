/** Records made directly at the db layer, for tests of db operations and loops (no server, no store). */
import type { Database } from "../database.js";
import { changeDataTags } from "../data/change-tags.js";
import { createRootRun, finishUpload } from "../data/upload.js";
import { projectOnce } from "../projection/project.js";
import { registerPlan } from "../plans/register-plan.js";
import { sql } from "kysely";
import { validatePlanSpec, type PlanSpec, type Tag } from "@knitfab/domain";

/** "key:value" → a tag (the value may contain ':'). */
export function tagOf(text: string): Tag {
  const at = text.indexOf(":");
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

/** A finished upload (a done root run of `knit#uploaded` and its Data) carrying `tags`; returns its knitId. */
export async function uploadTagged(database: Database, tags: readonly string[]): Promise<string> {
  const root = await createRootRun(database, "knit#uploaded", 30);
  await finishUpload(database, root, true);
  await changeDataTags(database, root.knitId, { add: tags.map(tagOf), remove: [], removeKey: [] });
  return root.knitId;
}

/** A valid plan of image `image:v1` with one input per entry of `inputTags`, one output `produced:IMAGE`, and a log. */
export function planSpecOf(image: string, inputTags: readonly (readonly string[])[]): PlanSpec {
  return validatePlanSpec({
    image: { repository: image, tag: "v1" },
    entrypoint: [],
    args: [],
    inputs: inputTags.map((tags, index) => ({ path: `/in/${index}`, tags: tags.map(tagOf) })),
    outputs: [{ path: "/out", tags: [{ key: "produced", value: image }] }],
    log: { tags: [] },
    onNode: [],
    resources: {},
    annotations: [],
    serviceAccount: null,
    active: true,
  });
}

/**
 * A waiting run of a fresh plan of image `image` (its one input asks for the tag `image-input:IMAGE`),
 * fed by one upload: the plan, the run, the input Data, and the run's output and log Data.
 */
export async function waitingRunOf(database: Database, image: string): Promise<{ planId: string; runId: string; inputKnitId: string; outputKnitIds: string[] }> {
  const planId = await registerPlan(database, planSpecOf(image, [[`image-input:${image}`]]));
  const inputKnitId = await uploadTagged(database, [`image-input:${image}`]);
  while (await projectOnce(database));
  const runs = await sql<{ run_id: string }>`SELECT run_id FROM run WHERE plan_id = ${planId}::uuid`.execute(database.db);
  if (runs.rows.length !== 1) throw new Error(`expected one run of ${image}, found ${runs.rows.length}`);
  const runId = runs.rows[0]!.run_id;
  const outputs = await sql<{ knit_id: string }>`SELECT knit_id FROM data WHERE run_id = ${runId}::uuid ORDER BY knit_id`.execute(database.db);
  return { planId, runId, inputKnitId, outputKnitIds: outputs.rows.map((row) => row.knit_id) };
}

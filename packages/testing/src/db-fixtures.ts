/** Records made directly at the db layer, for tests of db operations and loops (no server, no store). */
import { changeDataTags, createRootRun, finishUpload, type Database } from "@knitfab/db";
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

import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, tagOf, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { createRootRun } from "./upload.js";
import { findKnitIds } from "./find-data.js";

/** findKnitIds at the db layer (`GET /api/data/` is its HTTP face): tags, ids, what is not Data yet. */
describe.each(BACKENDS)("finding Data on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const find = (tags: string[], more: { knitId?: string } = {}) => findKnitIds(database.db, { userTags: tags.map(tagOf), ...more });

  it("finds the Data that carry every tag asked for, and only those", async () => {
    const both = await uploadTagged(database, ["find:a", "find:b"]);
    const onlyA = await uploadTagged(database, ["find:a"]);
    await uploadTagged(database, ["find:b", "other:x"]);
    expect((await find(["find:a"])).sort()).toEqual([both, onlyA].sort());
    expect(await find(["find:a", "find:b"])).toEqual([both]);
    expect(await find(["find:a", "find:nothing"])).toEqual([]);
    expect(await find(["find:nowhere"])).toEqual([]);
  });

  it("orders the Data by knit#timestamp, the oldest first, whatever the order they came in", async () => {
    const [a, b, c] = [await uploadTagged(database, ["order:1"]), await uploadTagged(database, ["order:1"]), await uploadTagged(database, ["order:1"])];
    const stamp = (knitId: string, at: string) => sql`UPDATE data SET timestamp = ${new Date(at)} WHERE knit_id = ${knitId}::uuid`.execute(database.db);
    await stamp(a!, "2030-01-01T00:00:02Z");
    await stamp(b!, "2030-01-01T00:00:03Z");
    await stamp(c!, "2030-01-01T00:00:01Z");
    expect(await find(["order:1"])).toEqual([c, a, b]);
  });

  it("finds one Data by its knitId, with the other conditions still applied; an id that is no uuid finds nothing", async () => {
    const knitId = await uploadTagged(database, ["by-id:1"]);
    expect(await find([], { knitId })).toEqual([knitId]);
    expect(await find(["by-id:1"], { knitId })).toEqual([knitId]);
    expect(await find(["by-id:2"], { knitId })).toEqual([]);
    expect(await find([], { knitId: "not-a-uuid" })).toEqual([]);
  });

  it("does not show an upload still in progress", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    expect(await find([], { knitId: root.knitId })).toEqual([]);
    expect(await find([])).not.toContain(root.knitId);
  });
});

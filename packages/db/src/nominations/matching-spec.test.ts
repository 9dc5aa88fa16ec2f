import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { sql } from "kysely";
import {
  cartesianProduct,
  inputMatchesData,
  splitInputTags,
  validatePlanSpec,
  type MatchableData,
  type PlanSpec,
  type RunStatus,
  type Tag,
} from "@knitfab/domain";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { changeDataTags } from "../data/change-tags.js";
import { createRootRun, finishUpload } from "../data/upload.js";
import { registerPlan } from "../plans/register-plan.js";
import { projectOnce } from "../projection/project.js";

/**
 * The domain's matching (inputMatchesData) and projection (cartesianProduct) rules are the
 * specification; the database runs them as SQL (nominate.ts, project.ts). Random Data and Plans go
 * into a real database, and what it nominated and projected must be what the specification says.
 * Plans are registered both before the Data get their tags and states (data-driven nomination) and
 * after (input-driven nomination), so both SQL paths are checked.
 */

/** A Data as generated: user tags from a tiny alphabet (so that plans match some and not others), done or still running. */
interface DataPlan {
  tags: { key: number; value: number }[];
  done: boolean;
}

/** A plan input as generated: some user tags, maybe a knit#id pin, maybe a knit#timestamp pin (indexes into the round's Data). */
interface InputPlan {
  tags: { key: number; value: number }[];
  idPin: number | undefined;
  timestampPin: number | undefined;
}

const tagCode = fc.record({ key: fc.integer({ min: 0, max: 1 }), value: fc.integer({ min: 0, max: 1 }) });
const dataPlan: fc.Arbitrary<DataPlan> = fc.record({ tags: fc.uniqueArray(tagCode, { maxLength: 3, selector: (t) => `${t.key}:${t.value}` }), done: fc.boolean() });
const inputPlan = (dataCount: number): fc.Arbitrary<InputPlan> =>
  fc
    .record({
      tags: fc.uniqueArray(tagCode, { maxLength: 2, selector: (t) => `${t.key}:${t.value}` }),
      idPin: fc.option(fc.integer({ min: 0, max: dataCount - 1 }), { nil: undefined }),
      timestampPin: fc.option(fc.integer({ min: 0, max: dataCount - 1 }), { nil: undefined }),
    })
    .filter((input) => input.tags.length > 0 || input.idPin !== undefined || input.timestampPin !== undefined);

const scenario = fc.array(dataPlan, { minLength: 1, maxLength: 5 }).chain((data) =>
  fc.record({
    data: fc.constant(data),
    before: fc.array(inputPlan(data.length), { minLength: 1, maxLength: 2 }),
    after: fc.array(inputPlan(data.length), { minLength: 1, maxLength: 2 }),
  }),
);

interface StoredData {
  knitId: string;
  tags: Tag[];
  status: RunStatus;
  /** knit#timestamp as the database holds it (microseconds), once done */
  timestamp: string | undefined;
}

describe.each(BACKENDS)("matching and projection rules on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  let round = 0;
  /** Tags unique to a round, so that Data of other rounds never match this round's plans. */
  const userTag = (code: { key: number; value: number }): Tag => ({ key: `r${round}k${code.key}`, value: `v${code.value}` });

  function planSpec(image: string, inputs: InputPlan[], data: StoredData[], withTimestamps: boolean): PlanSpec {
    return validatePlanSpec({
      image: { repository: image, tag: "v1" },
      entrypoint: [],
      args: [],
      inputs: inputs.map((input, index) => {
        const pinned = input.timestampPin === undefined ? undefined : data[input.timestampPin]?.timestamp;
        const tags: Tag[] = [
          ...input.tags.map(userTag),
          ...(input.idPin === undefined ? [] : [{ key: "knit#id", value: data[input.idPin]!.knitId }]),
          ...(withTimestamps && pinned !== undefined ? [{ key: "knit#timestamp", value: pinned }] : []),
        ];
        // a pin that cannot be given (no timestamp yet) falls back to a tag no Data has
        return { path: `/in/${index}`, tags: tags.length > 0 ? tags : [{ key: `r${round}none`, value: "x" }] };
      }),
      outputs: [{ path: "/out", tags: [{ key: `r${round}out`, value: image }] }],
      log: null,
      onNode: [],
      resources: {},
      annotations: [],
      serviceAccount: null,
      active: true,
    });
  }

  async function timestamps(knitIds: string[]): Promise<Map<string, string>> {
    const rows = await sql<{ knit_id: string; at: string | null }>`
      SELECT knit_id::text, to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
      FROM data WHERE knit_id = ANY(${knitIds}::uuid[])`.execute(database.db);
    return new Map(rows.rows.filter((row) => row.at !== null).map((row) => [row.knit_id, row.at as string]));
  }

  /** What the database nominated for each input of the plan, among this round's Data, in input order. */
  async function nominated(planId: string, knitIds: string[]): Promise<string[][]> {
    const rows = await sql<{ input_id: number; knit_ids: string[] | null }>`
      SELECT i.input_id, array_agg(n.knit_id::text ORDER BY n.knit_id) FILTER (WHERE n.knit_id = ANY(${knitIds}::uuid[])) AS knit_ids
      FROM input i LEFT JOIN nomination n ON n.input_id = i.input_id
      WHERE i.plan_id = ${planId}::uuid GROUP BY i.input_id ORDER BY i.input_id`.execute(database.db);
    return rows.rows.map((row) => row.knit_ids ?? []);
  }

  /** The assignments of the plan's runs, each as knitIds in input order, sorted. */
  async function projected(planId: string): Promise<string[]> {
    const rows = await sql<{ assignment: string }>`
      SELECT string_agg(a.knit_id::text, ',' ORDER BY a.input_id) AS assignment
      FROM run r JOIN assign a ON a.run_id = r.run_id WHERE r.plan_id = ${planId}::uuid GROUP BY r.run_id`.execute(database.db);
    return rows.rows.map((row) => row.assignment).sort();
  }

  /** The specification: the domain's rules over the stored Data. */
  function expected(spec: PlanSpec, data: StoredData[]): { nominated: string[][]; projected: string[] } {
    const matchable: MatchableData[] = data.map((d) => ({
      knitId: d.knitId,
      userTags: d.tags,
      timestamp: d.timestamp === undefined ? undefined : new Date(d.timestamp),
      runStatus: d.status,
    }));
    const perInput = spec.inputs.map((input) => {
      const requirement = splitInputTags(input.tags);
      return matchable.filter((d) => inputMatchesData(requirement, d)).map((d) => d.knitId).sort();
    });
    return { nominated: perInput, projected: cartesianProduct(perInput).map((ids) => ids.join(",")).sort() };
  }

  it("property: the database nominates and projects exactly what the domain's rules say", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ data: planned, before, after }) => {
        round++;
        const roots = [];
        for (let index = 0; index < planned.length; index++) roots.push(await createRootRun(database, "knit#uploaded", 3600));
        const stored: StoredData[] = roots.map((root) => ({ knitId: root.knitId, tags: [], status: "running", timestamp: undefined }));
        const knitIds = stored.map((d) => d.knitId);

        // registered before the Data are tagged and done: nominations come from the Data's side
        const early = planSpec(`localhost/early${round}`, before, stored, false);
        const earlyId = await registerPlan(database, early);

        for (const [index, item] of planned.entries()) {
          const root = roots[index]!;
          const tags = item.tags.map(userTag);
          // some Data get their tags before the upload ends, some after
          if (index % 2 === 0) await changeDataTags(database, root.knitId, { add: tags, remove: [], removeKey: [] });
          if (item.done) await finishUpload(database, root, true);
          if (index % 2 === 1) await changeDataTags(database, root.knitId, { add: tags, remove: [], removeKey: [] });
          stored[index] = { ...stored[index]!, tags, status: item.done ? "done" : "running" };
        }
        const stamps = await timestamps(knitIds);
        for (const item of stored) item.timestamp = stamps.get(item.knitId);

        // registered after: nominations come from the plan's inputs
        const late = planSpec(`localhost/late${round}`, after, stored, true);
        const lateId = await registerPlan(database, late);

        while (await projectOnce(database));
        for (const [planId, spec] of [[earlyId, early], [lateId, late]] as const) {
          const rule = expected(spec, stored);
          expect(await nominated(planId, knitIds)).toEqual(rule.nominated);
          expect(await projected(planId)).toEqual(rule.projected);
        }
      }),
      { numRuns: backend === "pglite" ? 25 : 40 },
    );
  });
});

/**
 * The engine on its own, as the engine tests drive it: the engine's loops over a fresh test database
 * (PGlite or a PostgreSQL clone of the migrated template), the local data store in a temporary
 * folder and the Docker runtime on real Podman. Data and Plans are made with the db operations the
 * API uses; no server, no HTTP.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { rawTarGz } from "@knitfab/archive";
import {
  changeDataTags,
  createRootRun,
  findRunIds,
  finishUpload,
  loadRuns,
  registerPlan,
  type Backend,
  type Database,
  type RunRecord,
} from "@knitfab/db";
import { planSpecFromJson } from "@knitfab/domain";
import { createLocalDataStore, type DataStore, type WorkerRuntime } from "@knitfab/drivers";
import { createDockerRuntime } from "@knitfab/drivers/docker";
import { FAST_ENGINE, preparePodman, tagOf, testDatabase, type Json } from "@knitfab/testing";
import { createEngine, ENGINE_LOOPS, type Engine, type EngineDependencies } from "../src/index.js";

export interface TestEngine {
  database: Database;
  store: DataStore;
  engine: Engine;
  /** the temporary folder of the store */
  home: string;
  stop(): Promise<void>;
}

/** Starts every engine loop on a fresh database of `backend`, with fast timings (over by `options`). */
export async function startTestEngine(
  backend: Backend,
  dependencies: Pick<EngineDependencies, "logger"> & Partial<Pick<EngineDependencies, "hooks" | "options" | "metrics">>,
  /** Changes what the real Docker runtime says of itself (see worker-written-log.test.ts). */
  adaptRuntime: (runtime: WorkerRuntime) => WorkerRuntime = (runtime) => runtime,
): Promise<TestEngine> {
  const socketPath = await preparePodman();
  const home = await mkdtemp(join(tmpdir(), "knitfab-engine-"));
  const database = await testDatabase(backend);
  const store = createLocalDataStore(join(home, "data"));
  const engine = createEngine({
    ...dependencies,
    database,
    store,
    runtime: adaptRuntime(createDockerRuntime({ socketPath })),
    options: { ...FAST_ENGINE, ...dependencies.options },
  });
  await engine.start(ENGINE_LOOPS);
  return {
    database,
    store,
    engine,
    home,
    async stop() {
      await engine.stop();
      await database.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Uploads files as a new Data and tags it, as `POST /api/data/` and `PUT /api/data/{id}` do; returns its knitId. */
export async function pushData(target: TestEngine, files: { name: string; content: string }[], tags: string[]): Promise<string> {
  const root = await createRootRun(target.database, "knit#uploaded", 60);
  try {
    const received = await target.store.receive(root.knitId, Readable.from([rawTarGz(files.map((file) => ({ path: file.name, content: file.content })))]));
    await finishUpload(target.database, root, true, received.bytes);
  } catch (error) {
    await finishUpload(target.database, root, false);
    throw error;
  }
  await changeDataTags(target.database, root.knitId, { add: tags.map(tagOf), remove: [], removeKey: [] });
  return root.knitId;
}

/** Registers a plan from its wire JSON, as `POST /api/plans/` does; returns its planId. */
export function applyPlan(target: TestEngine, body: Json): Promise<string> {
  return registerPlan(target.database, planSpecFromJson(body));
}

/** Polls the runs of a plan until `done` says so (bounded; the bound is a hang guard, not a verdict). */
export async function waitForRuns(target: TestEngine, planId: string, done: (runs: RunRecord[]) => boolean, timeoutMs = 60_000): Promise<RunRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let runs: RunRecord[] = [];
  while (Date.now() < deadline) {
    runs = await loadRuns(target.database.db, await findRunIds(target.database.db, { planIds: [planId] }));
    if (done(runs)) return runs;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`runs of plan ${planId} did not reach the expected state in time: ${JSON.stringify(runs.map((r) => [r.runId, r.status, r.exit]))}`);
}

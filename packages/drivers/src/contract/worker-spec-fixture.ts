import { ANY_NODE, type WorkerSpec } from "../runtime/worker-runtime.js";

/** A WorkerSpec for tests: a run of `image` with nothing else asked for, unless `overrides` says so. */
export function workerSpecFixture(fields: Pick<WorkerSpec, "runId" | "planId" | "image">, overrides: Partial<WorkerSpec> = {}): WorkerSpec {
  return { entrypoint: [], args: [], env: {}, mounts: [], resources: {}, labels: {}, onNode: ANY_NODE, ...fields, ...overrides };
}

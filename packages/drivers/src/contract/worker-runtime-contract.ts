/**
 * What ANY WorkerRuntime must do, as a vitest suite: run it against each implementation (docker on
 * Podman today; Kubernetes with a PVC store later) with
 *
 *     describeWorkerRuntimeContract("docker on podman", async () => ({ runtime, store, image, ... }));
 *
 * Volumes come from the paired DataStore, as in the engine: the suite never sees a host path or a
 * claim name. Not part of the built package (it needs vitest); tests import it from the sources.
 */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawTarGz } from "@knitfab/archive";
import type { DataStore } from "../store/data-store.js";
import { workerSpecFixture } from "./worker-spec-fixture.js";
import {
  WorkerStartError,
  WorkerUnschedulableError,
  type NodeLabel,
  type WorkerRuntime,
  type WorkerSpec,
  type WorkerState,
} from "../runtime/worker-runtime.js";

export interface WorkerRuntimeUnderTest {
  runtime: WorkerRuntime;
  /** The store whose volumes this runtime mounts. */
  store: DataStore;
  /** An image with a POSIX shell and busybox tools (sh, tr, head, tail, sleep), present or pullable. */
  image: string;
  /** A label every node of the runtime has (the placement test requires it), e.g. zone=here. */
  nodeLabel: NodeLabel;
  /** Whether a memory limit is enforced (then a task exceeding it must end as OOMKilled). */
  enforcesMemoryLimit: boolean;
  cleanup(): Promise<void>;
}

/** A hang guard for waiting on a worker, never a verdict. */
const WAIT_MS = 120_000;

export function describeWorkerRuntimeContract(name: string, make: () => Promise<WorkerRuntimeUnderTest>): void {
  describe(`WorkerRuntime contract: ${name}`, () => {
    let under: WorkerRuntimeUnderTest;
    const started: string[] = [];
    beforeAll(async () => {
      under = await make();
    });
    afterAll(async () => {
      if (!under) return;
      for (const runId of started) await under.runtime.remove(runId);
      await under.cleanup();
    });

    const newRunId = (): string => {
      const runId = randomUUID();
      started.push(runId);
      return runId;
    };
    const spec = (runId: string, overrides: Partial<WorkerSpec> = {}): WorkerSpec =>
      workerSpecFixture({ runId, planId: "plan-contract", image: under.image }, overrides);
    const sh = (runId: string, script: string, overrides: Partial<WorkerSpec> = {}) => spec(runId, { args: ["sh", "-c", script], ...overrides });

    /** Waits for the worker's end (waitForExit when the runtime has it, else by looking) and returns its state. */
    async function ended(runId: string): Promise<WorkerState> {
      const { runtime } = under;
      const deadline = Date.now() + WAIT_MS;
      if (runtime.waitForExit) await runtime.waitForExit(runId, AbortSignal.timeout(WAIT_MS));
      for (;;) {
        const state = await runtime.inspect(runId);
        if (state.phase === "succeeded" || state.phase === "failed" || state.phase === "missing" || Date.now() > deadline) return state;
        await sleep(100);
      }
    }
    const logOf = async (runId: string): Promise<string> => {
      const stream = await under.runtime.logs(runId, { follow: false });
      if (!stream) throw new Error(`run ${runId} has no worker`);
      return text(stream);
    };

    it("mounts a Data read-only and a prepared volume writable; what the task wrote is in the store", async () => {
      const { runtime, store } = under;
      const input = randomUUID();
      const output = randomUUID();
      await store.receive(input, Readable.from([rawTarGz([{ path: "message", content: "knit me\n" }])]));
      await store.prepare(output);
      const runId = newRunId();
      await runtime.start(
        sh(runId, "tr a-z A-Z < /in/message > /out/result; echo tamper > /in/new || echo read-only", {
          mounts: [
            { volume: store.volumeOf(input), target: "/in", readOnly: true },
            { volume: store.volumeOf(output), target: "/out", readOnly: false },
          ],
        }),
      );
      expect(await ended(runId)).toEqual({ phase: "succeeded" });
      expect(await logOf(runId)).toContain("read-only");
      await store.seal(output);
      expect(await text((await store.openFile(output, "result")).stream)).toBe("KNIT ME\n");
      expect((await store.listFiles(input, "")).entries.map((entry) => entry.name)).toEqual(["message"]);
    });

    it("passes env, entrypoint and args, and inspects a running worker as running", async () => {
      const { runtime } = under;
      const runId = newRunId();
      await runtime.start(spec(runId, { entrypoint: ["/bin/sh", "-c"], args: ['echo "$GREETING|${EMPTY-unset}"; sleep 1'], env: { GREETING: "hello, knit", EMPTY: "" } }));
      const seen = await runtime.inspect(runId);
      expect(["pending", "running", "succeeded"]).toContain(seen.phase);
      expect(await ended(runId)).toEqual({ phase: "succeeded" });
      expect(await logOf(runId)).toBe("hello, knit|\n");
    });

    it("reports exit codes of failed tasks as failures of the main container", async () => {
      const runId = newRunId();
      await under.runtime.start(sh(runId, "exit 3"));
      expect(await ended(runId)).toEqual({ phase: "failed", exitCode: 3, message: "(container main) Error" });
    });

    it("reports a task killed by its memory limit as OOMKilled (where limits are enforced)", async () => {
      if (!under.enforcesMemoryLimit) return;
      const runId = newRunId();
      await under.runtime.start(sh(runId, "head -c 64m /dev/zero | tail > /dev/null", { resources: { memory: "16Mi" } }));
      expect(await ended(runId)).toEqual({ phase: "failed", exitCode: 137, message: "(container main) OOMKilled" });
    });

    it("streams stdout and stderr together, live until the end and whole afterwards", async () => {
      const { runtime } = under;
      const runId = newRunId();
      await runtime.start(sh(runId, "for i in 1 2 3; do echo line$i; echo err$i >&2; sleep 0.2; done"));
      const live = await runtime.logs(runId, { follow: true });
      const followed = await text(live!);
      expect(followed.split("\n").sort()).toEqual(["", "err1", "err2", "err3", "line1", "line2", "line3"]);
      expect(followed.indexOf("line3")).toBeGreaterThan(followed.indexOf("line1"));
      expect(await ended(runId)).toEqual({ phase: "succeeded" });
      // The same bytes afterwards (how a runtime interleaves two streams between reads may differ).
      expect((await logOf(runId)).split("\n").sort()).toEqual(followed.split("\n").sort());
      expect(await runtime.logs(randomUUID(), { follow: false })).toBeUndefined();
    });

    it("starts a worker once however often start is called; lists it; removes it idempotently", async () => {
      const { runtime, store } = under;
      const output = randomUUID();
      await store.prepare(output);
      const runId = newRunId();
      const once = sh(runId, "echo ran >> /out/count", { mounts: [{ volume: store.volumeOf(output), target: "/out", readOnly: false }] });
      await Promise.all([runtime.start(once), runtime.start(once)]);
      await runtime.start(once);
      await ended(runId);
      await runtime.start(once); // an ended worker is left alone too
      expect(await ended(runId)).toEqual({ phase: "succeeded" });
      await store.seal(output);
      expect(await text((await store.openFile(output, "count")).stream)).toBe("ran\n");

      expect(await runtime.listWorkers()).toContain(runId);
      await runtime.remove(runId);
      await runtime.remove(runId);
      await runtime.remove(randomUUID());
      expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
      expect(await runtime.listWorkers()).not.toContain(runId);
      expect(await runtime.logs(runId, { follow: false })).toBeUndefined();
    });

    it("removes a running worker, killing it", async () => {
      const { runtime } = under;
      const runId = newRunId();
      await runtime.start(sh(runId, "sleep 600"));
      await runtime.remove(runId);
      expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
    });

    it("refuses an image that does not exist: a final WorkerStartError from start, or a worker stuck pending on the pull", async () => {
      const { runtime } = under;
      const runId = newRunId();
      const image = `localhost/knitfab-contract-missing-${randomUUID()}:1`;
      const outcome = await runtime.start(spec(runId, { image, args: ["true"] })).then(
        () => ({ started: true as const }),
        (caught: unknown) => ({ started: false as const, error: caught }),
      );
      if (!outcome.started) {
        // The runtime knows before creating anything (docker: the pull fails): final, and nothing is left.
        const { error } = outcome;
        expect(error).toBeInstanceOf(WorkerStartError);
        expect(error).toMatchObject({ reason: "ErrImagePull", final: true });
        expect((error as Error).message).toContain(image);
        expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
        expect(await runtime.listWorkers()).not.toContain(runId);
      } else {
        // The runtime learns it only once the worker exists (Kubernetes: the kubelet's pull fails):
        // the worker must soon be pending and stuck on the pull, never run, and be removable.
        const deadline = Date.now() + WAIT_MS;
        let state = await runtime.inspect(runId);
        while (state.phase === "pending" && !state.stuck && Date.now() < deadline) {
          await sleep(200);
          state = await runtime.inspect(runId);
        }
        expect(state).toMatchObject({
          phase: "pending",
          stuck: { reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/), message: expect.stringContaining(image) },
        });
        await runtime.remove(runId);
        expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
        expect(await runtime.listWorkers()).not.toContain(runId);
      }
    });

    it("places workers by on_node: a must label no node has waits (nothing runs), one the nodes have runs", async () => {
      const { runtime, nodeLabel } = under;
      const nowhere = { may: [], prefer: [], must: [{ key: nodeLabel.key, value: `${nodeLabel.value}-nowhere` }] };
      const reason = await runtime.unplaceable(nowhere);
      const waiting = newRunId();
      if (reason !== undefined) {
        // The runtime decides up front: it says why, and start creates nothing.
        expect(reason).toContain(`${nodeLabel.key}=${nodeLabel.value}-nowhere`);
        const error = await runtime.start(sh(waiting, "true", { onNode: nowhere })).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(WorkerUnschedulableError);
        expect((error as Error).message).toBe(reason);
        expect(await runtime.inspect(waiting)).toEqual({ phase: "missing" });
      } else {
        // The runtime's scheduler waits by itself: the worker exists and stays pending.
        await runtime.start(sh(waiting, "true", { onNode: nowhere }));
        expect((await runtime.inspect(waiting)).phase).toBe("pending");
        await runtime.remove(waiting);
      }
      const here = { may: [{ key: "gpu", value: "any" }], prefer: [], must: [nodeLabel, { key: nodeLabel.key, value: `${nodeLabel.value}-other` }] };
      expect(await runtime.unplaceable(here)).toBeUndefined();
      const placed = newRunId();
      await runtime.start(sh(placed, "true", { onNode: here, serviceAccount: "contract" }));
      expect(await ended(placed)).toEqual({ phase: "succeeded" });
    });
  });
}

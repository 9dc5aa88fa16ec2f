/**
 * The Docker runtime against a real Podman, through the Docker Engine API socket that
 * scripts/podman-service.sh starts, with the offline busybox image of scripts/make-test-image.sh.
 */
import Docker from "dockerode";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerRuntime } from "./docker-runtime.js";
import { WorkerStartError, workerName, type WorkerRuntime, type WorkerSpec } from "./worker-runtime.js";

const run = promisify(execFile);
const scripts = fileURLToPath(new URL("../../../../scripts/", import.meta.url));
const IMAGE = "localhost/busybox:test";

let socketPath = "";
let runtime: WorkerRuntime;
let docker: Docker;
let workspace = "";
const createdRuns: string[] = [];

beforeAll(async () => {
  try {
    await run("podman", ["--version"]);
  } catch (error) {
    throw new Error(`Podman is not installed; run scripts/install-podman.sh as root, then rerun the tests. (${String(error)})`);
  }
  const service = await run("sh", [join(scripts, "podman-service.sh")]);
  socketPath = service.stdout.trim().split("\n").pop() ?? "";
  await run("sh", [join(scripts, "make-test-image.sh"), IMAGE]);
  runtime = createDockerRuntime({ socketPath });
  docker = new Docker({ socketPath });
  workspace = await mkdtemp(join(tmpdir(), "knitfab-runtime-"));
});

afterAll(async () => {
  for (const runId of createdRuns) await runtime?.remove(runId);
  await runtime?.close();
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

function newRunId(): string {
  const runId = `test-${randomUUID()}`;
  createdRuns.push(runId);
  return runId;
}

function specOf(overrides: Partial<WorkerSpec> & { runId: string }): WorkerSpec {
  return {
    planId: "plan-test",
    image: IMAGE,
    entrypoint: [],
    args: [],
    env: {},
    mounts: [],
    resources: {},
    onNode: { may: [], prefer: [], must: [] },
    labels: {},
    ...overrides,
  };
}

async function folder(name: string): Promise<string> {
  const path = join(workspace, `${name}-${randomUUID()}`);
  await run("mkdir", ["-p", path]);
  return path;
}

/** Runs a worker to its end and returns its final state. */
async function runToEnd(spec: WorkerSpec) {
  await runtime.start(spec);
  await runtime.waitForExit!(spec.runId, AbortSignal.timeout(60_000));
  return runtime.inspect(spec.runId);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}

describe("docker runtime on podman", () => {
  it("runs a worker that reads a read-only input and writes its output to a bound host folder", async () => {
    const input = await folder("in");
    const output = await folder("out");
    await writeFile(join(input, "message"), "knit me\n");
    const runId = newRunId();
    const state = await runToEnd(
      specOf({
        runId,
        args: ["sh", "-c", "tr a-z A-Z < /in/message > /out/result"],
        mounts: [
          { volume: { kind: "host-folder", path: input }, target: "/in", readOnly: true },
          { volume: { kind: "host-folder", path: output }, target: "/out", readOnly: false },
        ],
      }),
    );
    expect(state).toEqual({ phase: "succeeded" });
    expect(await readFile(join(output, "result"), "utf8")).toBe("KNIT ME\n");
  });

  it("refuses writes into a read-only input and reports the failure", async () => {
    const input = await folder("in");
    const runId = newRunId();
    const state = await runToEnd(
      specOf({
        runId,
        args: ["sh", "-c", "echo tamper > /in/new"],
        mounts: [{ volume: { kind: "host-folder", path: input }, target: "/in", readOnly: true }],
      }),
    );
    expect(state).toEqual({ phase: "failed", exitCode: 1, message: "(container main) Error" });
    expect(await readdir(input)).toEqual([]);
    expect(await readAll((await runtime.logs(runId, { follow: false }))!)).toMatch(/Read-only file system/);
  });

  it("overrides the entrypoint and the arguments only when they are given", async () => {
    const withEntrypoint = newRunId();
    await runToEnd(specOf({ runId: withEntrypoint, entrypoint: ["/bin/echo", "from-entrypoint"], args: ["and", "args"] }));
    expect(await readAll((await runtime.logs(withEntrypoint, { follow: false }))!)).toBe("from-entrypoint and args\n");

    const argsOnly = newRunId();
    await runToEnd(specOf({ runId: argsOnly, args: ["echo", "args-only"] }));
    expect(await readAll((await runtime.logs(argsOnly, { follow: false }))!)).toBe("args-only\n");

    // The image's own command (/bin/sh without a terminal) runs when neither is given: it exits 0.
    const neither = newRunId();
    expect(await runToEnd(specOf({ runId: neither }))).toEqual({ phase: "succeeded" });
    const info = await docker.getContainer(workerName(neither)).inspect();
    expect(info.Config.Cmd).toEqual(["/bin/sh"]);
  });

  it("passes environment variables", async () => {
    const runId = newRunId();
    await runToEnd(specOf({ runId, env: { GREETING: "hello, knit", EMPTY: "" }, args: ["sh", "-c", 'echo "$GREETING|${EMPTY-unset}"'] }));
    expect(await readAll((await runtime.logs(runId, { follow: false }))!)).toBe("hello, knit|\n");
  });

  it("reports a non-zero exit code as a failure of the main container", async () => {
    const runId = newRunId();
    expect(await runToEnd(specOf({ runId, args: ["sh", "-c", "exit 3"] }))).toEqual({
      phase: "failed",
      exitCode: 3,
      message: "(container main) Error",
    });
  });

  it("reports a task killed by its memory limit as OOMKilled", async () => {
    const runId = newRunId();
    const state = await runToEnd(
      specOf({ runId, resources: { memory: "16Mi" }, args: ["sh", "-c", "head -c 64m /dev/zero | tail > /dev/null"] }),
    );
    expect(state).toEqual({ phase: "failed", exitCode: 137, message: "(container main) OOMKilled" });
    const info = await docker.getContainer(workerName(runId)).inspect();
    expect(info.HostConfig.Memory).toBe(16 * 1024 * 1024);
  });

  it("applies cpu limits and labels the container", async () => {
    const runId = newRunId();
    await runToEnd(specOf({ runId, resources: { cpu: "500m" }, labels: { "example/extra": "yes" }, args: ["true"] }));
    const info = await docker.getContainer(workerName(runId)).inspect();
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.Config.Labels).toMatchObject({
      "knitfab/run-id": runId,
      "knitfab/plan-id": "plan-test",
      "knitfab/worker": "true",
      "example/extra": "yes",
    });
  });

  it("reports an executable that does not exist as a start error", async () => {
    const runId = newRunId();
    await runtime.start(specOf({ runId, entrypoint: ["/no/such/program"] }));
    const state = await runtime.inspect(runId);
    expect(state.phase).toBe("failed");
    if (state.phase !== "failed") return;
    expect(state.exitCode).toBe(128);
    expect(state.message).toMatch(/^\(container main\) StartError: .*\/no\/such\/program/);
  });

  it("gives stdout and stderr together, after the end and while following until the end", async () => {
    const script = "echo out1; echo err1 >&2; sleep 0.3; echo out2; echo err2 >&2";
    const finished = newRunId();
    await runToEnd(specOf({ runId: finished, args: ["sh", "-c", script] }));
    const text = await readAll((await runtime.logs(finished, { follow: false }))!);
    expect(text.split("\n").sort()).toEqual(["", "err1", "err2", "out1", "out2"]);
    // Lines written after a pause come after the lines written before it.
    expect(text.indexOf("out2")).toBeGreaterThan(text.indexOf("out1"));
    expect(text.indexOf("out2")).toBeGreaterThan(text.indexOf("err1"));

    const followed = newRunId();
    await runtime.start(specOf({ runId: followed, args: ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done"] }));
    const live = await runtime.logs(followed, { follow: true });
    expect(await readAll(live!)).toBe("line1\nline2\nline3\n");
    expect(await runtime.inspect(followed)).toEqual({ phase: "succeeded" });

    expect(await runtime.logs(`test-${randomUUID()}`, { follow: false })).toBeUndefined();
  });

  it("refuses a start whose image cannot be pulled with ErrImagePull at once, leaving nothing behind", async () => {
    const image = `localhost/knitfab-missing-${randomUUID()}:1`;
    const runId = newRunId();
    const error = await runtime.start(specOf({ runId, image, args: ["echo", "never"] })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WorkerStartError);
    expect(error).toMatchObject({ reason: "ErrImagePull", final: true });
    expect((error as Error).message).toContain(image);
    expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
    expect(await runtime.listWorkers()).not.toContain(runId);
  });

  it("refuses a worker with nothing to run: an image without command and a spec without entrypoint or args", async () => {
    const runId = newRunId();
    const image = "localhost/knitfab-no-command:test";
    await run("sh", ["-c", `tar -C ${JSON.stringify(workspace)} -c --files-from=/dev/null | podman import --change 'CMD []' - ${image}`]);
    const error = await runtime.start(specOf({ runId, image })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WorkerStartError);
    expect(error).toMatchObject({ reason: "CreateContainerError", final: true });
    expect((error as Error).message).toMatch(/no command specified.*set the plan's entrypoint/);
    expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
  });

  it("gives the task only the kept capabilities and no way to gain privileges", async () => {
    const runId = newRunId();
    const state = await runToEnd(specOf({ runId, args: ["sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; mknod /tmp/null c 1 3 && echo made-device"] }));
    expect(state).toEqual({ phase: "failed", exitCode: 1, message: "(container main) Error" });
    const text = await readAll((await runtime.logs(runId, { follow: false }))!);
    // CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, KILL 5, SETGID 6, SETUID 7 => 0xeb
    expect(text).toMatch(/CapEff:\s+0+eb\n/);
    expect(text).toMatch(/CapBnd:\s+0+eb\n/);
    expect(text).toMatch(/NoNewPrivs:\s+1\n/);
    expect(text).not.toContain("made-device");
  });

  it("starts a worker once however often start is called, and removes idempotently", async () => {
    const output = await folder("out");
    const runId = newRunId();
    const spec = specOf({
      runId,
      args: ["sh", "-c", "echo ran >> /out/count"],
      mounts: [{ volume: { kind: "host-folder", path: output }, target: "/out", readOnly: false }],
    });
    await Promise.all([runtime.start(spec), runtime.start(spec)]);
    await runtime.start(spec);
    await runtime.waitForExit!(runId, AbortSignal.timeout(60_000));
    await runtime.start(spec); // an ended worker is left alone too
    await runtime.waitForExit!(runId, AbortSignal.timeout(60_000));
    expect(await runtime.inspect(runId)).toEqual({ phase: "succeeded" });
    expect(await readFile(join(output, "count"), "utf8")).toBe("ran\n");

    expect(await runtime.listWorkers()).toContain(runId);
    await runtime.remove(runId);
    await runtime.remove(runId);
    expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
    expect(await runtime.listWorkers()).not.toContain(runId);
    await runtime.waitForExit!(runId, AbortSignal.timeout(60_000)); // nothing to wait for
  });

  it("lets concurrent starts of one run race for its name without an error, and runs it once", async () => {
    for (let round = 0; round < 5; round++) {
      const output = await folder("out");
      const runId = newRunId();
      const spec = specOf({ runId, args: ["sh", "-c", "echo ran >> /out/count"], mounts: [{ volume: { kind: "host-folder", path: output }, target: "/out", readOnly: false }] });
      await Promise.all([runtime.start(spec), runtime.start(spec), runtime.start(spec), runtime.start(spec)]);
      await runtime.waitForExit!(runId, AbortSignal.timeout(60_000));
      expect(await runtime.inspect(runId)).toEqual({ phase: "succeeded" });
      expect(await readFile(join(output, "count"), "utf8")).toBe("ran\n");
      await runtime.remove(runId);
    }
  });

  it("replaces the ended worker of a retried run's attempt before (other outputs) instead of taking its exit", async () => {
    const [first, second] = [await folder("out"), await folder("out")];
    const runId = newRunId();
    const attempt = (output: string) =>
      specOf({ runId, args: ["sh", "-c", "echo ran > /out/stamp"], mounts: [{ volume: { kind: "host-folder", path: output }, target: "/out", readOnly: false }] });
    expect(await runToEnd(attempt(first))).toEqual({ phase: "succeeded" });
    // Retried before the first attempt's worker was removed: the new one must run into the new outputs.
    expect(await runToEnd(attempt(second))).toEqual({ phase: "succeeded" });
    expect(await readFile(join(second, "stamp"), "utf8")).toBe("ran\n");
  });

  it("treats requests that race a removal as about a missing worker, not as errors", async () => {
    for (let round = 0; round < 3; round++) {
      const runId = newRunId();
      await runtime.start(specOf({ runId, args: ["sleep", "600"] }));
      // Podman answers the losers of concurrent removals with 500 "no such container".
      const raced = await Promise.allSettled([runtime.remove(runId), runtime.remove(runId), runtime.inspect(runId), runtime.remove(runId)]);
      expect(raced.filter((result) => result.status === "rejected")).toEqual([]);
      expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
    }
  });

  it("removes a running worker, killing it", async () => {
    const runId = newRunId();
    await runtime.start(specOf({ runId, args: ["sleep", "600"] }));
    expect(await runtime.inspect(runId)).toEqual({ phase: "running" });
    const waiting = runtime.waitForExit!(runId, AbortSignal.timeout(60_000));
    await runtime.remove(runId);
    await waiting;
    expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
  });

  it("stops waiting when the signal aborts", async () => {
    const runId = newRunId();
    await runtime.start(specOf({ runId, args: ["sleep", "600"] }));
    const controller = new AbortController();
    const waiting = runtime.waitForExit!(runId, controller.signal);
    controller.abort(new Error("no longer interested"));
    await expect(waiting).rejects.toThrow("no longer interested");
    expect(await runtime.inspect(runId)).toEqual({ phase: "running" });
    await runtime.remove(runId);
  });

  it("starts a container that a crashed process created under the worker's name", async () => {
    // Another process created the container and died before starting it.
    const adopted = newRunId();
    await docker.createContainer({
      name: workerName(adopted),
      Image: IMAGE,
      Cmd: ["echo", "adopted"],
      Labels: { "knitfab/run-id": adopted, "knitfab/worker": "true" },
    });
    // Within the grace period its creator may still start it: it is left alone.
    await runtime.start(specOf({ runId: adopted, args: ["echo", "ignored"] }));
    expect(await runtime.inspect(adopted)).toEqual({ phase: "pending" });
    // After it, start adopts it as it is.
    const impatient = createDockerRuntime({ socketPath, startGraceMs: 0 });
    await impatient.start(specOf({ runId: adopted, args: ["echo", "ignored"] }));
    await impatient.waitForExit!(adopted, AbortSignal.timeout(60_000));
    expect(await readAll((await runtime.logs(adopted, { follow: false }))!)).toBe("adopted\n");

    // Nobody calls start again: inspecting after the grace period starts it.
    const orphan = newRunId();
    await docker.createContainer({ name: workerName(orphan), Image: IMAGE, Cmd: ["echo", "orphan"] });
    expect((await impatient.inspect(orphan)).phase).not.toBe("pending");
    await impatient.waitForExit!(orphan, AbortSignal.timeout(60_000));
    expect(await impatient.inspect(orphan)).toEqual({ phase: "succeeded" });
    await impatient.close();
  });

  it("ends a followed log when the worker is removed, and stops following when the reader lets go", async () => {
    const removed = newRunId();
    await runtime.start(specOf({ runId: removed, args: ["sh", "-c", "echo started; sleep 600"] }));
    const live = await runtime.logs(removed, { follow: true });
    const text = readAll(live!);
    await runtime.remove(removed);
    expect(await text).toMatch(/^(started\n)?$/);

    const abandoned = newRunId();
    await runtime.start(specOf({ runId: abandoned, args: ["sh", "-c", "while true; do echo tick; sleep 0.1; done"] }));
    const ticks = (await runtime.logs(abandoned, { follow: true })) as NodeJS.ReadableStream & { destroy(): void };
    for await (const chunk of ticks) {
      expect(String(chunk)).toContain("tick");
      break; // leaving the loop destroys the stream, which must release the engine's log request
    }
    expect(await runtime.inspect(abandoned)).toEqual({ phase: "running" });
    await runtime.remove(abandoned);
  });

  it("says which engine does not answer and how to start one", async () => {
    const nowhere = createDockerRuntime({ socketPath: join(workspace, "no-engine.sock") });
    await expect(nowhere.inspect("any")).rejects.toThrow(/no-engine.sock does not answer \(ENOENT\).*podman-service.sh/);
    await expect(nowhere.listWorkers()).rejects.toThrow(/does not answer/);
    await nowhere.close();
  });

  it("refuses a spec it cannot translate before creating anything", async () => {
    const runId = newRunId();
    const error = await runtime.start(specOf({ runId, resources: { memory: "lots" } })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WorkerStartError);
    expect(error).toMatchObject({ reason: "CreateContainerConfigError", final: true });
    expect((error as Error).message).toMatch(/"lots" is not a resource quantity/);
    expect(await runtime.inspect(runId)).toEqual({ phase: "missing" });
  });
});

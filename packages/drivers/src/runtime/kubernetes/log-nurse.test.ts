/**
 * The nurse's resume logic against a SCRIPTED log source (a fake of the pod and log API, named so:
 * cutting a follow at a chosen byte cannot be arranged with a real API server). The file is a real
 * one. packages/server/test/kubernetes/kubernetes-mode.test.ts runs the real nurse in a real pod.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nurseLog, openLogFile, type ContainerLogSource, type ContainerPhase } from "./log-nurse.js";

const LOG = Buffer.from("line one\nline two, longer\nthird\nthe end\n");

/** A read: the log up to `upTo` bytes, in chunks of `chunk` bytes, or a failure. */
type ScriptedRead = { upTo: number; chunk?: number } | Error;

class ScriptedLogSource implements ContainerLogSource {
  readonly reads: Array<{ follow: boolean }> = [];
  constructor(
    private readonly phases: ContainerPhase[],
    private readonly script: ScriptedRead[],
  ) {}

  async phase(): Promise<ContainerPhase> {
    return this.phases.length > 1 ? (this.phases.shift() as ContainerPhase) : (this.phases[0] ?? "gone");
  }

  async read(follow: boolean, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
    this.reads.push({ follow });
    const step = this.script.shift() ?? { upTo: LOG.length };
    if (step instanceof Error) throw step;
    const size = step.chunk ?? 4;
    for (let at = 0; at < step.upTo; at += size) await onChunk(LOG.subarray(at, Math.min(at + size, step.upTo)));
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "knitfab-nurse-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function nurse(source: ContainerLogSource, options: Parameters<typeof nurseLog>[2] = {}) {
  const file = await openLogFile(join(dir, "log"));
  try {
    return await nurseLog(source, file, { pollMs: 1, ...options });
  } finally {
    await file.close();
  }
}

describe("nurseLog", () => {
  it("waits for the container, follows it, and after cut follows writes every byte once, reading the rest after the end", async () => {
    // Two follows cut at bytes that fall inside chunks, then the container has ended.
    const source = new ScriptedLogSource(["waiting", "waiting", "running", "running", "terminated"], [{ upTo: 10, chunk: 3 }, { upTo: 23, chunk: 5 }]);
    const result = await nurse(source);
    expect(result).toEqual({ bytes: LOG.length, ended: "complete" });
    expect(await readFile(join(dir, "log"))).toEqual(LOG);
    expect(source.reads).toEqual([{ follow: true }, { follow: true }, { follow: false }]);
  });

  it("continues a file it finds begun (a nurse started again) without writing its bytes twice", async () => {
    await writeFile(join(dir, "log"), LOG.subarray(0, 14));
    const result = await nurse(new ScriptedLogSource(["running", "terminated"], [{ upTo: 20 }]));
    expect(result).toEqual({ bytes: LOG.length, ended: "complete" });
    expect(await readFile(join(dir, "log"))).toEqual(LOG);
  });

  it("reads once for a container that had ended before the nurse looked", async () => {
    const source = new ScriptedLogSource(["terminated"], []);
    expect(await nurse(source)).toEqual({ bytes: LOG.length, ended: "complete" });
    expect(source.reads).toEqual([{ follow: false }]);
  });

  it("retries failed reads, then gives up after too many in a row, keeping what was written", async () => {
    const retried: number[] = [];
    const source = new ScriptedLogSource(["running", "running", "terminated"], [new Error("reset"), { upTo: 9 }, new Error("reset"), { upTo: LOG.length }]);
    expect(await nurse(source, { onRetry: (_error, failures) => retried.push(failures) })).toEqual({ bytes: LOG.length, ended: "complete" });
    expect(retried).toEqual([1, 1]);
    expect(await readFile(join(dir, "log"))).toEqual(LOG);

    await rm(join(dir, "log"));
    const failing = new ScriptedLogSource(["running"], [{ upTo: 5 }, new Error("forbidden"), new Error("forbidden"), new Error("forbidden")]);
    await expect(nurse(failing, { maxFailures: 3 })).rejects.toThrow("forbidden");
    expect((await readFile(join(dir, "log"))).toString()).toBe("line ");
  });

  it("ends when the pod is gone, and when stopped", async () => {
    expect(await nurse(new ScriptedLogSource(["waiting", "gone"], []))).toEqual({ bytes: 0, ended: "pod-gone" });
    const stop = new AbortController();
    stop.abort();
    expect(await nurse(new ScriptedLogSource(["running"], []), { signal: stop.signal })).toEqual({ bytes: 0, ended: "stopped" });
  });
});

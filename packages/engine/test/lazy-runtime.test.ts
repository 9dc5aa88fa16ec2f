import { afterAll, describe, expect, it } from "vitest";
import type { WorkerRuntime } from "@knitfab/drivers";
import { createDockerRuntime } from "@knitfab/drivers/docker";
import { preparePodman } from "@knitfab/testing";
import { lazyRuntime } from "../src/index.js";

describe("a lazily created runtime", () => {
  let created: WorkerRuntime | undefined;
  afterAll(async () => {
    await created?.close();
  });

  it("is made on first use, made again after a failed attempt, and once only when calls overlap", async () => {
    const socketPath = await preparePodman();
    let attempts = 0;
    const runtime = lazyRuntime("docker", async () => {
      attempts += 1;
      // the first attempt fails as it does while no container engine answers
      if (attempts === 1) throw new Error("no container engine yet");
      created = createDockerRuntime({ socketPath });
      return created;
    });
    expect(attempts).toBe(0);
    await expect(runtime.listWorkers()).rejects.toThrow("no container engine yet");
    const answers = await Promise.all([runtime.listWorkers(), runtime.listWorkers(), runtime.inspect("no-such-run")]);
    expect(attempts).toBe(2);
    expect(Array.isArray(answers[0])).toBe(true);
    expect(answers[2]).toEqual({ phase: "missing" });
    await runtime.close();
  });

  it("closes without ever making the runtime when it was never used", async () => {
    let attempts = 0;
    const runtime = lazyRuntime("docker", () => {
      attempts += 1;
      throw new Error("not to be made");
    });
    await runtime.close();
    expect(attempts).toBe(0);
  });
});

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../bin/knitfab.js", import.meta.url));

async function vex(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [BIN, "vex", ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 30_000 });
    return { code: 0, stderr: "" };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string };
    return { code: failure.code ?? -1, stderr: failure.stderr ?? "" };
  }
}

// The daemon's work is tested against a real control plane in packages/drivers/src/vex; here, its edge.
describe("knitfab vex", () => {
  it("refuses bad sizes, durations and a missing node before reaching any cluster", async () => {
    expect(await vex(["--node-name", "n", "--margin", "5x", "knit"])).toMatchObject({ code: 1, stderr: expect.stringContaining('--margin "5x" is not a size') });
    expect(await vex(["--node-name", "n", "--interval", "0s", "knit"])).toMatchObject({ code: 1, stderr: expect.stringContaining('"0s" is not a positive duration') });
    expect(await vex(["knit"])).toMatchObject({ code: 1, stderr: expect.stringContaining("required option '--node-name <name>'") });
    expect(await vex(["--node-name", "n"])).toMatchObject({ code: 1, stderr: expect.stringContaining("missing required argument 'namespace'") });
  });

  it("says when there is no cluster configuration to use", async () => {
    const outcome = await vex(["knit"], { NODE_NAME: "n", DELTA: "1Gi" });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/KUBERNETES_SERVICE_HOST|in-cluster|kubeconfig/i);
  });
});

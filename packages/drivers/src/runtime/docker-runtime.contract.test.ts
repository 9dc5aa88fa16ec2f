/**
 * The docker runtime, on a real Podman with the local store, through the contract every
 * WorkerRuntime passes (see ../contract/worker-runtime-contract.ts).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describeWorkerRuntimeContract } from "../contract/worker-runtime-contract.js";
import { createLocalDataStore } from "../store/local-data-store.js";
import { createDockerRuntime } from "./docker-runtime.js";

const run = promisify(execFile);
const scripts = fileURLToPath(new URL("../../../../scripts/", import.meta.url));
const IMAGE = "localhost/busybox:test";

describeWorkerRuntimeContract("docker on podman, local store", async () => {
  const service = await run("sh", [join(scripts, "podman-service.sh")]);
  const socketPath = service.stdout.trim().split("\n").pop() ?? "";
  await run("sh", [join(scripts, "make-test-image.sh"), IMAGE]);
  const work = await mkdtemp(join(tmpdir(), "knitfab-runtime-contract-"));
  const runtime = createDockerRuntime({ socketPath, nodeLabels: { zone: "here" } });
  return {
    runtime,
    store: createLocalDataStore(join(work, "store")),
    image: IMAGE,
    nodeLabel: { key: "zone", value: "here" },
    // Podman on cgroup v1 reports exit 137 for it; the runtime maps that to OOMKilled.
    enforcesMemoryLimit: true,
    async cleanup() {
      await runtime.close();
      await rm(work, { recursive: true, force: true });
    },
  };
});

/**
 * The container engine of the tests that run workers: Podman's Docker Engine API service and the
 * offline busybox image, both made by the repository's scripts/.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const run = promisify(execFile);
/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** The busybox image scripts/make-test-image.sh builds without a registry. */
export const IMAGE = "localhost/busybox:test";

let podmanSocket: string | undefined;

/** Starts the Podman API service (if needed) and builds the test image; points DOCKER_HOST at the service; returns its socket path. */
export async function preparePodman(): Promise<string> {
  if (podmanSocket) return podmanSocket;
  try {
    await run("podman", ["--version"]);
  } catch (error) {
    throw new Error(`Podman is not installed; run scripts/install-podman.sh as root, then rerun the tests (${String(error)})`);
  }
  const service = await run("sh", [join(ROOT, "scripts/podman-service.sh")]);
  podmanSocket = service.stdout.trim().split("\n").pop() ?? "";
  await run("sh", [join(ROOT, "scripts/make-test-image.sh"), IMAGE]);
  process.env.DOCKER_HOST = `unix://${podmanSocket}`;
  return podmanSocket;
}

/** Names of worker containers Podman has for the given run ids. */
export async function existingWorkers(runIds: readonly string[]): Promise<string[]> {
  const listed = await run("podman", ["ps", "-a", "--format", "{{.Names}}"]);
  const names = new Set(listed.stdout.split("\n").map((line) => line.trim()));
  return runIds.map((id) => `worker-run-${id}`).filter((name) => names.has(name));
}

/**
 * Worker containers still present after waiting (bounded) for their removal: exited workers are
 * removed just after their run is recorded, so they may outlive the run's end by a moment.
 */
export async function workersLeftAfterCleanup(runIds: readonly string[], timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = await existingWorkers(runIds);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = await existingWorkers(runIds);
  }
  return left;
}

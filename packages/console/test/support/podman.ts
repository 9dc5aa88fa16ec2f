// The container engine for runs: the repository's scripts start a Podman Docker-API service and
// build the offline busybox test image.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const scripts = fileURLToPath(new URL("../../../../scripts/", import.meta.url));
const run = promisify(execFile);

export const TEST_IMAGE = "localhost/busybox:test";

/** Returns DOCKER_HOST for the server, after making sure the engine answers and the image exists. */
export async function containerEngine(): Promise<string> {
  try {
    await run("podman", ["--version"]);
  } catch (error) {
    throw new Error(`Podman is not installed; run scripts/install-podman.sh as root, then rerun the tests. (${String(error)})`);
  }
  const service = await run("sh", [`${scripts}podman-service.sh`]);
  const socket = service.stdout.trim().split("\n").pop() ?? "";
  await run("sh", [`${scripts}make-test-image.sh`, TEST_IMAGE]);
  return `unix://${socket}`;
}

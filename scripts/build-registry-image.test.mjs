/**
 * The offline image registry (scripts/build-registry-image.sh) does what the chart's registry
 * Deployment asks of it, run here with real Podman as the chart runs it (user 1000, read-only root,
 * its storage on a volume, the chart's environment): it answers GET /v2/, takes a pushed image into
 * the volume and lists it.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("./build-registry-image.sh", import.meta.url));
const NAME = `knitfab-registry-image-test-${randomBytes(4).toString("hex")}`;
let image = "";

async function get(url) {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

beforeAll(async () => {
  image = (await run("sh", [SCRIPT], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim().split("\n").pop() ?? "";
}, 300_000);

afterAll(async () => {
  await run("podman", ["rm", "-f", "-t", "0", NAME]).catch(() => undefined);
  await run("podman", ["volume", "rm", "-f", NAME]).catch(() => undefined);
  await run("podman", ["rmi", "-f", `localhost/${NAME}:pushed`]).catch(() => undefined);
});

describe("the offline image registry of the chart", () => {
  it("answers /v2/, stores a pushed image on its volume as user 1000 with a read-only root, and lists it", async () => {
    await run("podman", [
      "run", "-d", "--name", NAME, "--read-only", "--user", "1000:1000", "--tmpfs", "/tmp",
      "-v", `${NAME}:/var/lib/registry`, "-e", "REGISTRY_HTTP_ADDR=:5000", "-e", "REGISTRY_STORAGE_DELETE_ENABLED=true", image,
    ]);
    const host = (await run("podman", ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", NAME])).stdout.trim();
    let answer;
    for (let tries = 0; tries < 120 && !answer; tries++) {
      answer = await get(`http://${host}:5000/v2/`).catch(() => undefined);
      if (!answer) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(answer).toEqual({ status: 200, body: "{}" });
    // Any local image will do: the registry's own.
    await run("podman", ["tag", image, `localhost/${NAME}:pushed`]);
    await run("podman", ["push", "--tls-verify=false", `localhost/${NAME}:pushed`, `${host}:5000/knitfab/pushed:1`]);
    expect(JSON.parse((await get(`http://${host}:5000/v2/_catalog`)).body)).toEqual({ repositories: ["knitfab/pushed"] });
    expect(JSON.parse((await get(`http://${host}:5000/v2/knitfab/pushed/tags/list`)).body)).toEqual({ name: "knitfab/pushed", tags: ["1"] });
  }, 180_000);
});

/**
 * Exec readiness probes of the stand-in kubelet, against real Podman: PodmanApi.execSucceeds runs a
 * command in a running container (the offline busybox test image of scripts/make-test-image.sh)
 * and ReadinessProbes uses it for `exec` probes.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { V1Container } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PodmanApi } from "./podman-api.js";
import { ReadinessProbes } from "./readiness-probes.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const IMAGE = "localhost/busybox:test";
const CONTAINER = `knitfab-exec-probe-test-${randomBytes(4).toString("hex")}`;
let podman: PodmanApi;

beforeAll(async () => {
  const service = await run("sh", [join(ROOT, "scripts/podman-service.sh")]);
  podman = new PodmanApi(service.stdout.trim().split("\n").pop() ?? "");
  await run("sh", [join(ROOT, "scripts/make-test-image.sh"), IMAGE]);
  await run("podman", ["run", "-d", "--name", CONTAINER, IMAGE, "sleep", "300"]);
}, 120_000);

afterAll(async () => {
  await run("podman", ["rm", "-f", "-t", "0", CONTAINER]).catch(() => undefined);
});

describe("exec probes", () => {
  it("execSucceeds: exit 0 is success; another exit code, a command running past the timeout or a missing container is not", async () => {
    expect(await podman.execSucceeds(CONTAINER, ["sh", "-c", "exit 0"], 10_000)).toBe(true);
    expect(await podman.execSucceeds(CONTAINER, ["sh", "-c", "exit 3"], 10_000)).toBe(false);
    expect(await podman.execSucceeds(CONTAINER, ["sh", "-c", "sleep 5"], 300)).toBe(false);
    expect(await podman.execSucceeds(`${CONTAINER}-missing`, ["true"], 10_000)).toBe(false);
  });

  it("keeps a container with an exec readiness probe unready until its command succeeds in it", async () => {
    const container: V1Container = {
      name: "main",
      readinessProbe: { exec: { command: ["sh", "-c", "test -f /tmp/ready"] }, periodSeconds: 0, timeoutSeconds: 10 },
    };
    const probes = new ReadinessProbes(Date.now, (name, command, timeoutMs) => podman.execSucceeds(name === "main" ? CONTAINER : name, command, timeoutMs));
    const running = new Map([["main", Date.now()]]);
    expect(await probes.unready([container], running, "10.0.0.1")).toEqual(new Set(["main"]));
    await run("podman", ["exec", CONTAINER, "touch", "/tmp/ready"]);
    expect(await probes.unready([container], running, "10.0.0.1")).toEqual(new Set());
    // Without a way to exec, an exec probe is not run: ready once running.
    expect(await new ReadinessProbes().unready([container], running, "10.0.0.1")).toEqual(new Set());
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { V1Container } from "@kubernetes/client-node";
import { ReadinessProbes } from "./readiness-probes.js";

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A real HTTP server on loopback whose /readyz answers `status()`. */
async function serve(status: () => number): Promise<number> {
  server = createServer((request, response) => {
    response.statusCode = request.url === "/readyz" ? status() : 404;
    response.end();
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const probed = (port: number | string, failureThreshold = 1): V1Container => ({
  name: "web",
  ports: [{ name: "http", containerPort: typeof port === "number" ? port : 0 }],
  readinessProbe: { httpGet: { path: "/readyz", port }, periodSeconds: 0, failureThreshold },
});

describe("ReadinessProbes", () => {
  it("keeps a probed container unready until its httpGet answers 2xx, by a named port, and unready again after failureThreshold failures", async () => {
    let status = 503;
    const port = await serve(() => status);
    const container: V1Container = { ...probed("http", 2), ports: [{ name: "http", containerPort: port }] };
    const probes = new ReadinessProbes();
    const running = new Map([["web", Date.now()]]);
    expect(await probes.unready([container], running, "127.0.0.1")).toEqual(new Set(["web"]));
    status = 200;
    expect(await probes.unready([container], running, "127.0.0.1")).toEqual(new Set());
    status = 500;
    // one failure is under the threshold of two
    expect(await probes.unready([container], running, "127.0.0.1")).toEqual(new Set());
    expect(await probes.unready([container], running, "127.0.0.1")).toEqual(new Set(["web"]));
  });

  it("counts a container without an http or tcp probe as ready, and a probed one that does not run as unready", async () => {
    const probes = new ReadinessProbes();
    const plain: V1Container = { name: "plain" };
    expect(await probes.unready([plain, probed(1)], new Map([["plain", Date.now()]]), "127.0.0.1")).toEqual(new Set(["web"]));
  });

  it("fails a probe whose server is not listening", async () => {
    const port = await serve(() => 200);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(await new ReadinessProbes().unready([probed(port)], new Map([["web", Date.now()]]), "127.0.0.1")).toEqual(new Set(["web"]));
  });
});

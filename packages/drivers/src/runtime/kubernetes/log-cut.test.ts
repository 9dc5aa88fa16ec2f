/**
 * A followed Pod log whose response is cut mid-way (the API server going away), through the real
 * @kubernetes/client-node `Log` client, against a FAKE log endpoint (a plain HTTP server, named so:
 * a real kube-apiserver cannot be made to cut a response at a chosen byte; the real restart is in
 * kubernetes-runtime.test.ts). The read must end, passing on what came, and count as broken.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubernetesLogSource } from "./log-nurse.js";

let server: Server;
let config: KubeConfig;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (!request.url?.startsWith("/api/v1/namespaces/ns/pods/worker/log")) {
      response.writeHead(404).end();
      return;
    }
    // Chunked, as a followed log is; then the connection is cut without the last chunk.
    response.writeHead(200, { "content-type": "text/plain" });
    response.write("first line\n");
    setTimeout(() => request.socket.destroy(), 50);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "someone" }],
    contexts: [{ name: "fake", cluster: "fake", user: "someone" }],
    currentContext: "fake",
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("the nurse's log source when the followed response is cut", () => {
  it("passes on what came and rejects (a broken read), rather than waiting forever", async () => {
    const source = kubernetesLogSource(config, "ns", "worker", "main");
    const chunks: string[] = [];
    const read = source.read(true, async (chunk) => void chunks.push(chunk.toString()), new AbortController().signal).then(
      () => "ended",
      (error: unknown) => error,
    );
    // A hang guard, not a verdict on speed.
    const outcome = await Promise.race([read, sleep(30_000, "still reading", { ref: false })]);
    expect(outcome).toBeInstanceOf(Error);
    expect(chunks.join("")).toBe("first line\n");
  });
});

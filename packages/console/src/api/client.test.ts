import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { api } from "./client.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A real HTTP server that drops the first `drops` connections without an answer, then answers `[]`. */
async function flakyServer(drops: number): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  server = createServer((request, response) => {
    requests++;
    if (requests <= drops) {
      request.socket.destroy();
      return;
    }
    response.setHeader("Content-Type", "application/json");
    response.end("[]");
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/data/`, requests: () => requests };
}

describe("console API client", () => {
  it("sends a read again when the connection failed without an answer (a network change under the browser)", async () => {
    const flaky = await flakyServer(2);
    expect(await api.listData(flaky.url)).toEqual([]);
    expect(flaky.requests()).toBe(3);
  });

  it("gives up after three attempts with an error that says what to do", async () => {
    const flaky = await flakyServer(10);
    await expect(api.listData(flaky.url)).rejects.toThrow(/cannot reach the server.*check that it is running/);
    expect(flaky.requests()).toBe(3);
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectDockerSocket, parseDockerHost, resolveDockerEndpoint } from "./docker-socket.js";

let folder = "";
let answering = "";
let silent = "";
const servers: Server[] = [];

async function listen(path: string, handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<void> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "knitfab-socket-"));
  answering = join(folder, "engine.sock");
  silent = join(folder, "other.sock");
  // A real HTTP server on a unix socket stands for an engine; the other answers something else.
  await listen(answering, (req, res) => res.end(req.url === "/_ping" ? "OK" : "?"));
  await listen(silent, (_req, res) => {
    res.statusCode = 500;
    res.end("no engine here");
  });
});

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await rm(folder, { recursive: true, force: true });
});

describe("docker socket", () => {
  it("reads DOCKER_HOST in its unix and tcp forms and explains the rest", () => {
    expect(parseDockerHost("unix:///run/podman/podman.sock")).toEqual({ kind: "unix", socketPath: "/run/podman/podman.sock" });
    expect(parseDockerHost("tcp://10.0.0.1:2375")).toEqual({ kind: "tcp", host: "10.0.0.1", port: 2375, protocol: "http" });
    expect(parseDockerHost("tcp://engine")).toMatchObject({ host: "engine", port: 2375 });
    expect(() => parseDockerHost("ssh://me@host")).toThrow(/use unix:\/\/\/absolute\/path.sock or tcp:\/\/host:port/);
  });

  it("prefers the explicit socket, then DOCKER_HOST", () => {
    expect(resolveDockerEndpoint("/given.sock", { DOCKER_HOST: "unix:///env.sock" })).toEqual({ kind: "unix", socketPath: "/given.sock" });
    expect(resolveDockerEndpoint(undefined, { DOCKER_HOST: "unix:///env.sock" })).toEqual({ kind: "unix", socketPath: "/env.sock" });
  });

  it("detects a socket that answers /_ping and skips one that does not", async () => {
    expect(await detectDockerSocket({ DOCKER_HOST: `unix://${answering}`, XDG_RUNTIME_DIR: join(folder, "none") })).toBe(answering);
    const found = await detectDockerSocket({ DOCKER_HOST: `unix://${silent}`, XDG_RUNTIME_DIR: join(folder, "none") });
    expect(found).not.toBe(silent);
  });
});

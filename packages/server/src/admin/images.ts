/**
 * Task images through the Docker Engine API (Docker or Podman), reached as the server's worker
 * runtime reaches it (DOCKER_HOST or the usual sockets): GET /images/{name}/get saves an image as a
 * tar stream, POST /images/load loads one.
 */
import { request, type IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { resolveDockerEndpoint, type DockerEndpoint } from "@knitfab/drivers";

export class ImageMissingError extends Error {
  override name = "ImageMissingError";
}

export interface ImageEngine {
  /** The image as `docker save` writes it; ImageMissingError when the engine does not have it. */
  save(name: string): Promise<Readable>;
  /** Loads an image archive (a stream of `docker save` output). */
  load(archive: Readable): Promise<void>;
}

/** The local engine, or undefined when no Docker Engine API socket is found. */
export function localImageEngine(env: NodeJS.ProcessEnv = process.env): ImageEngine | undefined {
  const endpoint = resolveDockerEndpoint(undefined, env);
  return endpoint ? imageEngineAt(endpoint) : undefined;
}

export function imageEngineAt(endpoint: DockerEndpoint): ImageEngine {
  const target = endpoint.kind === "unix" ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port };
  const call = (method: string, path: string, body?: Readable) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ ...target, method, path, headers: body ? { "content-type": "application/x-tar" } : {} }, resolve);
      req.on("error", reject);
      if (body) {
        body.on("error", (error) => req.destroy(error));
        body.pipe(req);
      } else req.end();
    });
  return {
    async save(name) {
      const response = await call("GET", `/images/${encodeURIComponent(name)}/get`);
      if (response.statusCode === 200) return response;
      const text = await readAll(response);
      if (response.statusCode === 404) throw new ImageMissingError(`the container engine has no image ${name}`);
      throw new Error(`the container engine could not save ${name}: ${response.statusCode} ${text.trim()}`);
    },
    async load(archive) {
      const response = await call("POST", "/images/load?quiet=1", archive);
      const text = await readAll(response);
      if (response.statusCode !== 200) throw new Error(`the container engine could not load an image: ${response.statusCode} ${text.trim()}`);
      // Docker answers 200 and reports failures inside its JSON stream
      const failure = text.split("\n").map((line) => line.trim()).filter(Boolean).map(parseLine).find((line) => line?.error);
      if (failure?.error) throw new Error(`the container engine could not load an image: ${failure.error}`);
    },
  };
}

function parseLine(line: string): { error?: string } | undefined {
  try {
    return JSON.parse(line) as { error?: string };
  } catch {
    return undefined;
  }
}

async function readAll(stream: Readable): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text;
}

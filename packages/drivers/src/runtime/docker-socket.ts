/**
 * Where the Docker Engine API (Docker or Podman) listens on this machine.
 */
import { existsSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

export type DockerEndpoint =
  | { kind: "unix"; socketPath: string }
  | { kind: "tcp"; host: string; port: number; protocol: "http" };

/** The sockets tried in order when neither an explicit path nor DOCKER_HOST is given. */
export function candidateSocketPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const paths = ["/var/run/docker.sock", "/run/podman/podman.sock"];
  if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, "podman", "podman.sock"));
  paths.push("/run/knitfab/podman.sock");
  return paths;
}

/** Reads `unix:///path` or `tcp://host:port` (plain HTTP); anything else is refused with the accepted forms. */
export function parseDockerHost(value: string): DockerEndpoint {
  if (value.startsWith("unix://")) {
    const socketPath = value.slice("unix://".length);
    if (socketPath.startsWith("/")) return { kind: "unix", socketPath };
  }
  if (value.startsWith("tcp://")) {
    const url = new URL(`http://${value.slice("tcp://".length)}`);
    return { kind: "tcp", host: url.hostname, port: url.port === "" ? 2375 : Number(url.port), protocol: "http" };
  }
  throw new Error(
    `DOCKER_HOST="${value}" is not supported; use unix:///absolute/path.sock or tcp://host:port (without TLS)`,
  );
}

/**
 * The endpoint to use without probing: the explicit socket, else DOCKER_HOST, else the first
 * candidate socket that exists. Undefined when there is none.
 */
export function resolveDockerEndpoint(
  socketPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): DockerEndpoint | undefined {
  if (socketPath) return { kind: "unix", socketPath };
  if (env.DOCKER_HOST) return parseDockerHost(env.DOCKER_HOST);
  const found = candidateSocketPaths(env).find((path) => existsSync(path));
  return found === undefined ? undefined : { kind: "unix", socketPath: found };
}

/** True when the endpoint answers `GET /_ping` with OK within the timeout. */
export function pingDockerEndpoint(endpoint: DockerEndpoint, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const target =
      endpoint.kind === "unix" ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port };
    const req = request({ ...target, path: "/_ping", method: "GET", timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(res.statusCode === 200 && body.trim() === "OK"));
      res.on("error", () => resolve(false));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

/**
 * The unix socket of a Docker Engine API that answers, or undefined. DOCKER_HOST (unix://) comes
 * first, then the usual Docker and Podman locations.
 */
export async function detectDockerSocket(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const paths: string[] = [];
  if (env.DOCKER_HOST?.startsWith("unix://")) paths.push(env.DOCKER_HOST.slice("unix://".length));
  paths.push(...candidateSocketPaths(env));
  for (const socketPath of paths) {
    if (existsSync(socketPath) && (await pingDockerEndpoint({ kind: "unix", socketPath }))) return socketPath;
  }
  return undefined;
}

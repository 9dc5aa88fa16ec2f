import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PodmanApi } from "./podman-api.js";

/** Where a container of an API pod runs: its Podman container, or why there is none to read. */
export type ContainerLookup =
  | { readonly found: "container"; readonly id: string }
  | { readonly found: "no-pod" }
  | { readonly found: "no-container" }
  | { readonly found: "not-started"; readonly message: string };

export interface KubeletServerOptions {
  readonly podman: PodmanApi;
  /** The serving certificate (signed by the CA the API server trusts for kubelets). */
  readonly cert: string;
  readonly key: string;
  /** The CA that signed the API server's kubelet client certificate. */
  readonly clientCa: string;
  /** The only client accepted: the CN of the API server's `--kubelet-client-certificate`. */
  readonly clientUser: string;
  /** The address to listen on (the nodes' InternalIP). */
  readonly address: string;
  lookup(namespace: string, pod: string, container: string): Promise<ContainerLookup>;
  /** The Prometheus text of `GET /metrics` (volume statistics); without it, /metrics answers 404. */
  metrics?(): Promise<string>;
}

export interface KubeletServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The STAND-IN kubelet's API, the one part of it the API server calls: `GET
 * /containerLogs/{namespace}/{pod}/{container}` (what `kubectl logs` and readNamespacedPodLog reach
 * through the API server), from Podman's container logs. HTTPS on the nodes' address; a client must present
 * a certificate of the cluster CA whose CN is the API server's kubelet client user (a real kubelet
 * asks the API server with a SubjectAccessReview instead). Query parameters as the kubelet reads
 * them: `follow`, `tailLines`, `timestamps`; `previous` finds nothing (the stand-in never restarts
 * containers); `limitBytes`, `sinceSeconds` and `sinceTime` are refused with 400, not ignored. Also
 * `GET /metrics` with the kubelet's volume statistics (what the volume expander scrapes through the
 * API server's node proxy). Everything else of the kubelet API (exec, attach, port-forward, stats)
 * answers 404.
 */
export async function startKubeletServer(options: KubeletServerOptions): Promise<KubeletServer> {
  const open = new Set<AbortController>();
  const server: Server = createServer(
    {
      cert: readFileSync(options.cert),
      key: readFileSync(options.key),
      ca: readFileSync(options.clientCa),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (request, response) => {
      const controller = new AbortController();
      open.add(controller);
      response.once("close", () => {
        controller.abort();
        open.delete(controller);
      });
      handle(options, request, response, controller.signal).catch((error: unknown) => {
        if (!response.headersSent) plain(response, 500, `stand-in kubelet: ${error instanceof Error ? error.message : String(error)}`);
        else response.destroy();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, options.address, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const controller of open) controller.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(options: KubeletServerOptions, request: IncomingMessage, response: ServerResponse, signal: AbortSignal): Promise<void> {
  const peer = (request.socket as TLSSocket).getPeerCertificate();
  if (peer.subject?.CN !== options.clientUser) {
    return plain(response, 403, `Forbidden (user=${peer.subject?.CN ?? "unknown"}, verb=get, resource=nodes, subresource=proxy)`);
  }
  const url = new URL(request.url ?? "/", "https://stand-in-kubelet");
  if (request.method === "GET" && url.pathname === "/metrics" && options.metrics) {
    const body = await options.metrics();
    response.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
    response.end(body);
    return;
  }
  const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (request.method !== "GET" || !match) return plain(response, 404, "404 page not found");
  const [namespace, pod, container] = match.slice(1).map(decodeURIComponent) as [string, string, string];

  const query = url.searchParams;
  const tailLines = optionalCount(query.get("tailLines"));
  if (tailLines === null) return plain(response, 400, "tailLines must be a non-negative integer");
  for (const unsupported of ["limitBytes", "sinceSeconds", "sinceTime"]) {
    if (query.has(unsupported)) return plain(response, 400, `stand-in kubelet: ${unsupported} is not supported`);
  }
  const follow = query.get("follow") === "true";
  const timestamps = query.get("timestamps") === "true";

  const found = await options.lookup(namespace, pod, container);
  switch (found.found) {
    case "no-pod":
      return plain(response, 404, `pod "${pod}" in namespace "${namespace}" does not exist on this node`);
    case "no-container":
      return plain(response, 404, `container "${container}" not found in pod "${pod}"`);
    case "not-started":
      return plain(response, 400, `container "${container}" in pod "${pod}" is waiting to start: ${found.message}`);
  }
  if (query.get("previous") === "true") {
    return plain(response, 400, `previous terminated container "${container}" in pod "${pod}" not found`);
  }
  const logs = await options.podman.containerLogs(found.id, { follow, tail: tailLines, timestamps, signal });
  response.writeHead(200, { "Content-Type": "text/plain" });
  response.flushHeaders();
  try {
    await pipeline(logs, demultiplexLogs(), response, { signal });
  } catch (error) {
    // The API server hung up (the follower went away) or the server is closing: not an error.
    if (signal.aborted) return;
    throw error;
  }
}

function plain(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { "Content-Type": "text/plain" });
  response.end(message);
}

/** undefined when absent, null when not a non-negative integer. */
function optionalCount(value: string | null): number | undefined | null {
  if (value === null) return undefined;
  return /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * Docker's multiplexed log stream: each frame is an 8-byte header (stream 1 stdout or 2 stderr,
 * three zero bytes, the payload length as a big-endian uint32) then the payload. The kubelet's log
 * API gives both streams as one text, in order, which is what the payloads make joined.
 */
export function demultiplexLogs(): Transform {
  let pending: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (pending.length < 8) break;
        const stream = pending[0];
        if ((stream !== 0 && stream !== 1 && stream !== 2) || pending[1] !== 0 || pending[2] !== 0 || pending[3] !== 0) {
          return done(new Error(`podman log stream: not a multiplexed frame header (${pending.subarray(0, 8).toString("hex")})`));
        }
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        this.push(pending.subarray(8, 8 + size));
        pending = pending.subarray(8 + size);
      }
      done();
    },
    flush(done: TransformCallback) {
      done(pending.length === 0 ? undefined : new Error(`podman log stream: ${pending.length} bytes of an incomplete frame at the end`));
    },
  });
}


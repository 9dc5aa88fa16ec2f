import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createConnection } from "node:net";
import type { V1Container, V1Probe } from "@kubernetes/client-node";

/**
 * Readiness probes as a kubelet runs them, for the stand-in kubelet: `httpGet` (HTTP or HTTPS,
 * the certificate not verified, as the kubelet does not; 200–399 is success) and `tcpSocket`
 * against the pod's IP, every `periodSeconds` after `initialDelaySeconds`; ready after
 * `successThreshold` successes in a row, unready after `failureThreshold` failures in a row. Until
 * its first success a probed container is not ready, so a Deployment's pod (and a Service's
 * endpoint, and `helm install --wait`) waits for the server to answer, as in a cluster.
 * `exec` probes run the command in the container through `exec` (Podman's exec sessions for the
 * stand-in kubelet; exit 0 within timeoutSeconds is success); without `exec` a container with one
 * counts as ready once running. Liveness and startup probes are not run at all.
 */
export class ReadinessProbes {
  private readonly state = new Map<string, { ready: boolean; successes: number; failures: number; next: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly exec?: ExecInContainer,
  ) {}

  /**
   * The running containers (by name) that are not ready now, probing those whose period is due.
   * `running`: the containers that run, with when they started (ms).
   */
  async unready(containers: readonly V1Container[], running: ReadonlyMap<string, number>, podIP: string | undefined): Promise<Set<string>> {
    const unready = new Set<string>();
    for (const container of containers) {
      const probe = container.readinessProbe;
      const startedAt = running.get(container.name);
      if (!probe || !(probe.httpGet || probe.tcpSocket || (probe.exec?.command?.length && this.exec))) continue;
      if (startedAt === undefined || !podIP) {
        // Not running (again): probing starts over, as for a restarted container.
        this.state.delete(container.name);
        unready.add(container.name);
        continue;
      }
      let state = this.state.get(container.name);
      if (!state) {
        state = { ready: false, successes: 0, failures: 0, next: startedAt + (probe.initialDelaySeconds ?? 0) * 1000 };
        this.state.set(container.name, state);
      }
      if (this.now() >= state.next) {
        state.next = this.now() + (probe.periodSeconds ?? 10) * 1000;
        if (await runProbe(probe, container, podIP, this.exec)) {
          state.failures = 0;
          state.successes += 1;
          if (state.successes >= (probe.successThreshold ?? 1)) state.ready = true;
        } else {
          state.successes = 0;
          state.failures += 1;
          if (state.failures >= (probe.failureThreshold ?? 3)) state.ready = false;
        }
      }
      if (!state.ready) unready.add(container.name);
    }
    return unready;
  }
}

/** Runs a command in the pod's container (by its name in the pod); whether it exited 0 within the time. */
export type ExecInContainer = (container: string, command: readonly string[], timeoutMs: number) => Promise<boolean>;

/** One try of an httpGet, tcpSocket or (given `exec`) exec probe; false on any error or timeout. */
export function runProbe(probe: V1Probe, container: V1Container, podIP: string, exec?: ExecInContainer): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec?.command?.length && exec) return exec(container.name, probe.exec.command, timeoutMs).catch(() => false);
  const portOf = (port: number | string): number | undefined =>
    typeof port === "number" ? port : /^\d+$/.test(port) ? Number(port) : container.ports?.find((candidate) => candidate.name === port)?.containerPort;
  return new Promise((resolve) => {
    if (probe.httpGet) {
      const port = portOf(probe.httpGet.port);
      if (port === undefined) return resolve(false);
      const https = probe.httpGet.scheme === "HTTPS";
      const headers = Object.fromEntries((probe.httpGet.httpHeaders ?? []).map((header) => [header.name, header.value]));
      const request = (https ? httpsRequest : httpRequest)(
        { host: probe.httpGet.host ?? podIP, port, path: probe.httpGet.path ?? "/", method: "GET", headers, timeout: timeoutMs, ...(https ? { rejectUnauthorized: false } : {}) },
        (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          resolve(status >= 200 && status < 400);
        },
      );
      request.on("timeout", () => request.destroy());
      request.on("error", () => resolve(false));
      request.end();
    } else if (probe.tcpSocket) {
      const port = portOf(probe.tcpSocket.port);
      if (port === undefined) return resolve(false);
      const socket = createConnection({ host: probe.tcpSocket.host ?? podIP, port, timeout: timeoutMs });
      socket.on("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("timeout", () => {
        socket.destroy();
        resolve(false);
      });
      socket.on("error", () => resolve(false));
    } else {
      resolve(true);
    }
  });
}

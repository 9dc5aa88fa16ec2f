import { createConnection, createServer, type Server, type Socket } from "node:net";
import { CoreV1Api, DiscoveryV1Api, type V1EndpointSlice, type V1Service } from "@kubernetes/client-node";
import type { ControlPlane } from "./control-plane.js";

/**
 * A STAND-IN for kube-proxy's NodePorts (no kube-proxy runs here): for every Service of type
 * NodePort, a TCP listener on the nodes' address at the node port, forwarding each connection to
 * a ready endpoint of the Service, as the endpoint controller lists them in EndpointSlices (so a
 * named targetPort is resolved by the real controller). The stand-in nodes all share this machine's
 * address, so one listener serves "every node". Services and EndpointSlices are read with the
 * administrator's identity (kube-proxy has a cluster role for them), every `pollMs`.
 *
 * With `servicePorts`, it also stands in for ClusterIP addressing: each Service port (of a Service
 * with a cluster IP, not headless) gets a listener on the same address at the Service's own port,
 * forwarding the same way, and the stand-in kubelet (option `serviceNames`) makes pods resolve the
 * Service's names to that address; so a pod reaches `database.<namespace>.svc.cluster.local:5432`.
 * As all Services share one address, a port is served for the first Service that asks for it (node
 * ports first, then by namespace and name); a later Service with the same port is not served
 * (reported on stderr), where a cluster would give each its own cluster IP.
 *
 * Not stood in: the cluster IPs themselves (pods cannot reach 10.96.x.x), session affinity, UDP,
 * externalTrafficPolicy; a connection goes to the endpoints round-robin.
 */
export interface StandInNodePorts {
  /** The node ports being served now, as `namespace/service:nodePort`. */
  serving(): string[];
  /** Where connections to a node port go now (`ip:port` of the ready endpoints); empty when none or not served. */
  targets(nodePort: number): string[];
  close(): Promise<void>;
}

export interface StandInNodePortsOptions {
  readonly controlPlane: ControlPlane;
  /** Where to listen: the stand-in nodes' InternalIP (StandInKubelet.nodeAddress). */
  readonly address: string;
  /** How often Services and EndpointSlices are read (default 500 ms). */
  readonly pollMs?: number;
  /** Also serve every Service's own port on `address` (stand-in cluster IPs, see above); default false. */
  readonly servicePorts?: boolean;
}

interface Forward {
  readonly key: string;
  readonly server: Server;
  /** `ip:port` of the ready endpoints, refreshed at each poll. */
  targets: string[];
  next: number;
  readonly sockets: Set<Socket>;
}

export async function startStandInNodePorts(options: StandInNodePortsOptions): Promise<StandInNodePorts> {
  const admin = options.controlPlane.adminConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const discovery = admin.makeApiClient(DiscoveryV1Api);
  const forwards = new Map<number, Forward>();
  /** Ports already reported as asked for by two Services, so that each is reported once. */
  const reported = new Set<string>();
  let closed = false;

  const listen = (nodePort: number, key: string): Promise<Forward> =>
    new Promise((resolve, reject) => {
      const forward: Forward = { key, server: createServer(), targets: [], next: 0, sockets: new Set() };
      forward.server.on("connection", (client) => {
        const target = forward.targets[forward.next++ % Math.max(forward.targets.length, 1)];
        if (!target) {
          // No ready endpoint: refused, as kube-proxy rejects connections to a Service without endpoints.
          client.destroy();
          return;
        }
        const [host, port] = splitTarget(target);
        const upstream = createConnection({ host, port });
        forward.sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          forward.sockets.delete(client);
          forward.sockets.delete(upstream);
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
        client.pipe(upstream).pipe(client);
      });
      forward.server.once("error", reject);
      forward.server.listen(nodePort, options.address, () => resolve(forward));
    });

  const stop = async (forward: Forward) => {
    for (const socket of forward.sockets) socket.destroy();
    await new Promise<void>((resolve) => forward.server.close(() => resolve()));
  };

  const sync = async () => {
    const [services, slices] = await Promise.all([core.listServiceForAllNamespaces(), discovery.listEndpointSliceForAllNamespaces()]);
    const wanted = nodePortsOf(services.items, slices.items);
    if (options.servicePorts) {
      for (const [port, forward] of servicePortsOf(services.items, slices.items, (port, keys) => {
        const clash = `${port} ${keys.join(" ")}`;
        if (!reported.has(clash)) process.stderr.write(`stand-in node ports: port ${port} is asked for by ${keys.join(" and ")}; only the first is served\n`);
        reported.add(clash);
      })) {
        if (wanted.has(port)) continue;
        wanted.set(port, forward);
      }
    }
    for (const [nodePort, forward] of forwards) {
      if (!wanted.has(nodePort) || wanted.get(nodePort)?.key !== forward.key) {
        forwards.delete(nodePort);
        await stop(forward);
      }
    }
    for (const [nodePort, { key, targets }] of wanted) {
      let forward = forwards.get(nodePort);
      if (!forward) {
        try {
          forward = await listen(nodePort, key);
        } catch (error) {
          process.stderr.write(`stand-in node ports: cannot listen on ${options.address}:${nodePort} for ${key}: ${String(error)}\n`);
          continue;
        }
        forwards.set(nodePort, forward);
      }
      forward.targets = targets;
    }
  };

  await sync();
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    timer = setTimeout(() => {
      // A failed read (the API server restarting) is tried again at the next tick.
      sync()
        .catch(() => undefined)
        .finally(() => {
          if (!closed) loop();
        });
    }, options.pollMs ?? 500);
  };
  loop();

  return {
    serving: () => [...forwards.entries()].map(([nodePort, forward]) => `${forward.key}:${nodePort}`).sort(),
    targets: (nodePort) => [...(forwards.get(nodePort)?.targets ?? [])],
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const forward of forwards.values()) await stop(forward);
      forwards.clear();
    },
  };
}

/** For each node port: the Service it belongs to and the ready endpoints (`ip:port`) of that Service port. */
export function nodePortsOf(services: readonly V1Service[], slices: readonly V1EndpointSlice[]): Map<number, { key: string; targets: string[] }> {
  const result = new Map<number, { key: string; targets: string[] }>();
  for (const service of services) {
    if (service.spec?.type !== "NodePort" && service.spec?.type !== "LoadBalancer") continue;
    for (const port of service.spec.ports ?? []) {
      if (!port.nodePort || (port.protocol ?? "TCP") !== "TCP") continue;
      result.set(port.nodePort, { key: serviceKey(service), targets: readyTargets(service, port.name, slices) });
    }
  }
  return result;
}

/**
 * For each Service port of the Services with a cluster IP (ClusterIP, NodePort, LoadBalancer; not
 * headless, not ExternalName): the Service and its ready endpoints, as a stand-in cluster IP serves
 * them. Services are taken by namespace and name; a port asked for again is left to the first, and
 * `clash(port, keys)` is told.
 */
export function servicePortsOf(
  services: readonly V1Service[],
  slices: readonly V1EndpointSlice[],
  clash: (port: number, keys: string[]) => void = () => undefined,
): Map<number, { key: string; targets: string[] }> {
  const result = new Map<number, { key: string; targets: string[] }>();
  const ordered = [...services].sort((a, b) => serviceKey(a).localeCompare(serviceKey(b)));
  for (const service of ordered) {
    const type = service.spec?.type ?? "ClusterIP";
    if (type === "ExternalName" || service.spec?.clusterIP === "None") continue;
    for (const port of service.spec?.ports ?? []) {
      if ((port.protocol ?? "TCP") !== "TCP") continue;
      const first = result.get(port.port);
      if (first) {
        if (first.key !== serviceKey(service)) clash(port.port, [first.key, serviceKey(service)]);
        continue;
      }
      result.set(port.port, { key: serviceKey(service), targets: readyTargets(service, port.name, slices) });
    }
  }
  return result;
}

function serviceKey(service: V1Service): string {
  return `${service.metadata?.namespace ?? "default"}/${service.metadata?.name ?? ""}`;
}

/** The ready endpoints (`ip:port`) of one Service port, from the Service's EndpointSlices. */
function readyTargets(service: V1Service, portName: string | undefined, slices: readonly V1EndpointSlice[]): string[] {
  const namespace = service.metadata?.namespace ?? "default";
  const name = service.metadata?.name ?? "";
  const targets: string[] = [];
  for (const slice of slices) {
    if (slice.metadata?.namespace !== namespace || slice.metadata?.labels?.["kubernetes.io/service-name"] !== name) continue;
    // The slice's port of the same name carries the resolved target port.
    const slicePort = slice.ports?.find((candidate) => (candidate.name ?? "") === (portName ?? ""))?.port;
    if (!slicePort || slice.addressType !== "IPv4") continue;
    for (const endpoint of slice.endpoints) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses) targets.push(`${address}:${slicePort}`);
    }
  }
  return targets.sort();
}

function splitTarget(target: string): [string, number] {
  const at = target.lastIndexOf(":");
  return [target.slice(0, at), Number(target.slice(at + 1))];
}

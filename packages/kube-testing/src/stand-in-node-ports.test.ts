import { describe, expect, it } from "vitest";
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import { nodePortsOf, servicePortsOf } from "./stand-in-node-ports.js";

const service = (name: string, type: string, ports: NonNullable<V1Service["spec"]>["ports"]): V1Service => ({
  metadata: { name, namespace: "knitfab" },
  spec: { type, ports },
});
const slice = (service: string, port: { name: string; port: number }, endpoints: V1EndpointSlice["endpoints"]): V1EndpointSlice => ({
  addressType: "IPv4",
  metadata: { name: `${service}-abc`, namespace: "knitfab", labels: { "kubernetes.io/service-name": service } },
  ports: [port],
  endpoints,
});

describe("nodePortsOf", () => {
  it("forwards a NodePort to the ready endpoints at the slice's resolved port, and nothing for ClusterIP Services", () => {
    const found = nodePortsOf(
      [
        service("knitd", "NodePort", [{ name: "http", port: 8080, targetPort: "http", nodePort: 30803 }]),
        service("knitd-backend", "ClusterIP", [{ name: "http", port: 80, targetPort: "http" }]),
      ],
      [
        slice("knitd", { name: "http", port: 8080 }, [
          { addresses: ["10.89.0.7"], conditions: { ready: true } },
          { addresses: ["10.89.0.5"], conditions: { ready: false } },
          { addresses: ["10.89.0.6"] },
        ]),
        slice("knitd-backend", { name: "http", port: 8080 }, [{ addresses: ["10.89.0.8"], conditions: { ready: true } }]),
      ],
    );
    expect([...found.entries()]).toEqual([[30803, { key: "knitfab/knitd", targets: ["10.89.0.6:8080", "10.89.0.7:8080"] }]]);
  });

  it("keeps a node port with no ready endpoint, with no target (connections are refused)", () => {
    const found = nodePortsOf([service("knitd", "NodePort", [{ name: "http", port: 8080, nodePort: 30803 }])], []);
    expect(found.get(30803)).toEqual({ key: "knitfab/knitd", targets: [] });
  });

  it("serves each Service's own port for the stand-in cluster IPs (not headless, not ExternalName); a port asked for twice goes to the first by namespace and name", () => {
    const clashes: string[] = [];
    const headless = service("peers", "ClusterIP", [{ name: "p", port: 7000 }]);
    headless.spec!.clusterIP = "None";
    const found = servicePortsOf(
      [
        service("knitd-backend", "ClusterIP", [{ name: "http", port: 80, targetPort: "http" }]),
        service("database", "ClusterIP", [{ name: "postgres", port: 5432, targetPort: "postgres" }]),
        service("image-registry", "NodePort", [{ name: "image-registry", port: 80, nodePort: 30503 }]),
        service("outside", "ExternalName", [{ name: "x", port: 9000 }]),
        headless,
      ],
      [
        slice("database", { name: "postgres", port: 5432 }, [{ addresses: ["10.89.0.9"], conditions: { ready: true } }]),
        slice("knitd-backend", { name: "http", port: 8080 }, [{ addresses: ["10.89.0.8"], conditions: { ready: true } }]),
      ],
      (port, keys) => clashes.push(`${port} ${keys.join(" ")}`),
    );
    expect([...found.entries()].sort(([a], [b]) => a - b)).toEqual([
      [80, { key: "knitfab/image-registry", targets: [] }],
      [5432, { key: "knitfab/database", targets: ["10.89.0.9:5432"] }],
    ]);
    expect(clashes).toEqual(["80 knitfab/image-registry knitfab/knitd-backend"]);
  });
});

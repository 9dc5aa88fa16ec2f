import { describe, expect, it } from "vitest";
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import { nodePortsOf } from "./stand-in-node-ports.js";

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
});

import { describe, expect, it } from "vitest";
import { ConfigError, resolveServeConfig } from "./config.js";

describe("serve configuration: node labels", () => {
  it("reads KEY=VALUE labels from flags and the environment", () => {
    const config = resolveServeConfig({ nodeLabel: ["gpu=a100", "zone=west"] }, { KNITFAB_NODE_LABELS: "disk=ssd" });
    expect(config.nodeLabels).toEqual({ disk: "ssd", gpu: "a100", zone: "west" });
  });

  it("refuses what a plan's on_node label could never match, naming the flag", () => {
    for (const entry of ["gpu", "=a100", "gpu=", "gpu=a 100", "gpu=-bad-", "bad key=x"]) {
      expect(() => resolveServeConfig({ nodeLabel: [entry] }, {}), entry).toThrow(ConfigError);
      expect(() => resolveServeConfig({ nodeLabel: [entry] }, {}), entry).toThrow(/--node-label .* write for example --node-label gpu=a100/);
    }
  });
});

describe("serve configuration: the pvc store", () => {
  it("takes --store pvc with a storage class, a claim size (default 1Gi) and the agent image", () => {
    const inCluster = { KUBERNETES_SERVICE_HOST: "10.0.0.1" };
    const config = resolveServeConfig({ store: "pvc", storageClass: "knitfab-storage-data", dataSize: "10Gi", agentImage: "registry.example/knitfab-server:1" }, inCluster);
    expect(config.store).toBe("pvc");
    expect(config.kubernetes).toMatchObject({ storageClass: "knitfab-storage-data", dataSize: "10Gi", agentImage: "registry.example/knitfab-server:1" });
    const defaults = resolveServeConfig({ store: "pvc" }, { ...inCluster, KNITFAB_STORAGE_CLASS: "nfs" });
    expect(defaults.kubernetes).toMatchObject({ storageClass: "nfs", dataSize: "1Gi" });
    expect(defaults.kubernetes.agentImage).toMatch(/^localhost\/knitfab-server:/);
  });

  it("refuses a bad storage class or size with the flag's name, pvc options for another store, and no way to the cluster", () => {
    const inCluster = { KUBERNETES_SERVICE_HOST: "10.0.0.1" };
    expect(() => resolveServeConfig({ store: "pvc", storageClass: "Bad_Class" }, inCluster)).toThrow(/--storage-class must be a StorageClass name/);
    for (const size of ["lots", "0", "1 Gi", "-1Gi", "1GB"]) {
      expect(() => resolveServeConfig({ store: "pvc", dataSize: size }, inCluster), size).toThrow(/--data-size must be a size such as 512Mi or 1Gi/);
    }
    expect(() => resolveServeConfig({ store: "pvc" }, {})).toThrow(/--store pvc needs --kubeconfig FILE, or to run in a Pod/);
    expect(() => resolveServeConfig({ dataSize: "1Gi" }, {})).toThrow(/--data-size apply to --store pvc only/);
    expect(() => resolveServeConfig({ store: "pvcs" }, {})).toThrow(/--store "pvcs" is unknown; known: local .*; pvc/);
  });

  it("takes the log sidecar's secret for the kubernetes runtime with the pvc store only, and none by default", () => {
    const inCluster = { KUBERNETES_SERVICE_HOST: "10.0.0.1" };
    const kube = { store: "pvc", runtime: "kubernetes" };
    expect(resolveServeConfig(kube, inCluster).kubernetes.nurseSecret).toBeUndefined();
    expect(resolveServeConfig({ ...kube, nurseSecret: "knit-nurse-secret" }, inCluster).kubernetes.nurseSecret).toBe("knit-nurse-secret");
    expect(resolveServeConfig(kube, { ...inCluster, KNITFAB_NURSE_SECRET: "nurse.token" }).kubernetes.nurseSecret).toBe("nurse.token");
    expect(() => resolveServeConfig({ ...kube, nurseSecret: "Nurse_Secret" }, inCluster)).toThrow(/--nurse-secret must be a Secret name/);
    expect(() => resolveServeConfig({ store: "pvc", nurseSecret: "s" }, inCluster)).toThrow(/--nurse-secret applies to --runtime kubernetes with --store pvc only \(the runtime is "docker"/);
    expect(() => resolveServeConfig({ runtime: "kubernetes", nurseSecret: "s" }, inCluster)).toThrow(/--nurse-secret applies to --runtime kubernetes with --store pvc only/);
  });
});

import { describe, expect, it } from "vitest";
import type { V1Pod } from "@kubernetes/client-node";
import { podmanPlayManifest, UnsupportedPodError } from "./pod-manifest.js";

const base = (spec: Partial<NonNullable<V1Pod["spec"]>>): V1Pod => ({
  metadata: { name: "worker-run-1", namespace: "ns", uid: "u-1", labels: { app: "x" } },
  spec: { containers: [{ name: "main", image: "localhost/img:1" }], ...spec },
});

const play = (pod: V1Pod, claims: Record<string, string> = {}) =>
  JSON.parse(podmanPlayManifest({ pod, podmanPodName: "kubelet-abc-u-1", labels: { owner: "t" }, claimVolumes: new Map(Object.entries(claims)), nodeName: "n1" })) as V1Pod;

describe("podmanPlayManifest", () => {
  it("maps claims to the provisioner's Podman volumes and keeps read-only mounts", () => {
    const manifest = play(
      base({
        containers: [{ name: "main", image: "localhost/img:1", volumeMounts: [{ name: "in", mountPath: "/in", readOnly: true }] }],
        volumes: [{ name: "in", persistentVolumeClaim: { claimName: "data-1" } }],
      }),
      { "data-1": "kube-abc-pvc-9" },
    );
    expect(manifest.metadata).toEqual({ name: "kubelet-abc-u-1", labels: { owner: "t" } });
    expect(manifest.spec?.volumes).toEqual([{ name: "in", persistentVolumeClaim: { claimName: "kube-abc-pvc-9" } }]);
    expect(manifest.spec?.containers[0]?.volumeMounts).toEqual([{ name: "in", mountPath: "/in", readOnly: true }]);
    expect(manifest.spec?.hostname).toBe("worker-run-1");
  });

  it("never pulls, resolves downward-API env, and drops extended resources", () => {
    const manifest = play(
      base({
        containers: [
          {
            name: "main",
            image: "localhost/img:1",
            imagePullPolicy: "Always",
            env: [{ name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }, { name: "A", value: "b" }],
            resources: { limits: { memory: "1Gi", "nvidia.com/gpu": "1" } },
          },
        ],
      }),
    );
    const main = manifest.spec?.containers[0];
    expect(main?.imagePullPolicy).toBe("Never");
    expect(main?.env).toEqual([{ name: "NS", value: "ns" }, { name: "A", value: "b" }]);
    expect(main?.resources).toEqual({ limits: { memory: "1Gi" } });
  });

  it("mounts the service-account token volume read-only from the folder its files were written to, and points containers at the API server", () => {
    const pod = base({
      containers: [
        {
          name: "main",
          image: "i",
          env: [{ name: "A", value: "b" }],
          volumeMounts: [{ name: "kube-api-access-x1", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }],
        },
        { name: "side", image: "i", env: [{ name: "KUBERNETES_SERVICE_PORT", value: "1" }] },
      ],
      volumes: [{ name: "kube-api-access-x1", projected: { sources: [] } }],
    });
    const manifest = JSON.parse(
      podmanPlayManifest({
        pod,
        podmanPodName: "p",
        labels: {},
        claimVolumes: new Map(),
        fileVolumes: new Map([["kube-api-access-x1", "/tmp/files/kube-api-access-x1"]]),
        apiServer: { host: "192.0.2.2", port: 6443 },
        nodeName: "n1",
      }),
    ) as V1Pod;
    expect(manifest.spec?.volumes).toEqual([{ name: "kube-api-access-x1", hostPath: { path: "/tmp/files/kube-api-access-x1", type: "Directory" } }]);
    expect(manifest.spec?.containers[0]?.volumeMounts).toEqual([
      { name: "kube-api-access-x1", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true },
    ]);
    expect(manifest.spec?.containers[0]?.env).toEqual([
      { name: "A", value: "b" },
      { name: "KUBERNETES_SERVICE_HOST", value: "192.0.2.2" },
      { name: "KUBERNETES_SERVICE_PORT", value: "6443" },
    ]);
    // The container's own value wins.
    expect(manifest.spec?.containers[1]?.env).toEqual([
      { name: "KUBERNETES_SERVICE_PORT", value: "1" },
      { name: "KUBERNETES_SERVICE_HOST", value: "192.0.2.2" },
    ]);
  });

  it("refuses what it cannot run faithfully", () => {
    // A file volume whose files were not written, and a kind it does not run.
    expect(() => play(base({ volumes: [{ name: "s", secret: { secretName: "x" } }] }))).toThrow(/files were not written/);
    expect(() => play(base({ volumes: [{ name: "s", iscsi: { targetPortal: "t", iqn: "q", lun: 0 } }] }))).toThrow(UnsupportedPodError);
    expect(() => play(base({ containers: [{ name: "main", image: "i", env: [{ name: "T", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }] }] }))).toThrow(
      /env T/,
    );
    expect(() => play(base({ volumes: [{ name: "c", persistentVolumeClaim: { claimName: "unbound" } }] }))).toThrow(/unbound/);
  });

  it("plays env from Secrets and ConfigMaps with the values read beforehand, leaving out optional keys that are not there", () => {
    const pod = base({
      containers: [
        {
          name: "main",
          image: "i",
          env: [
            { name: "URL", valueFrom: { secretKeyRef: { name: "db", key: "url" } } },
            { name: "MODE", valueFrom: { configMapKeyRef: { name: "settings", key: "mode" } } },
            { name: "EXTRA", valueFrom: { secretKeyRef: { name: "absent", key: "x", optional: true } } },
          ],
        },
      ],
    });
    const manifest = JSON.parse(
      podmanPlayManifest({
        pod,
        podmanPodName: "p",
        labels: {},
        claimVolumes: new Map(),
        nodeName: "n1",
        envSources: { secrets: new Map([["db", { url: "postgres://h/db" }]]), configMaps: new Map([["settings", { mode: "fast" }]]) },
      }),
    ) as V1Pod;
    expect(manifest.spec?.containers[0]?.env).toEqual([
      { name: "URL", value: "postgres://h/db" },
      { name: "MODE", value: "fast" },
    ]);
  });

  it("gives each pod's emptyDir volumes names of their own (Podman names the volume after them)", () => {
    const manifest = play(
      base({
        containers: [{ name: "main", image: "i", volumeMounts: [{ name: "tmp", mountPath: "/tmp" }] }],
        volumes: [{ name: "tmp", emptyDir: {} }],
      }),
    );
    expect(manifest.spec?.volumes).toEqual([{ name: "kubelet-abc-u-1-tmp", emptyDir: {} }]);
    expect(manifest.spec?.containers[0]?.volumeMounts).toEqual([{ name: "kubelet-abc-u-1-tmp", mountPath: "/tmp" }]);
  });

  it("keeps the pod's hostAliases and adds the stand-in cluster DNS entries after them; none when there are none", () => {
    const pod = base({ hostAliases: [{ ip: "10.0.0.9", hostnames: ["own.example"] }] });
    const manifest = JSON.parse(
      podmanPlayManifest({ pod, podmanPodName: "p", labels: {}, claimVolumes: new Map(), nodeName: "n1", hostAliases: [{ ip: "192.0.2.4", hostnames: ["database", "database.ns.svc.cluster.local"] }] }),
    ) as V1Pod;
    expect(manifest.spec?.hostAliases).toEqual([
      { ip: "10.0.0.9", hostnames: ["own.example"] },
      { ip: "192.0.2.4", hostnames: ["database", "database.ns.svc.cluster.local"] },
    ]);
    expect(play(base({})).spec?.hostAliases).toBeUndefined();
  });
});

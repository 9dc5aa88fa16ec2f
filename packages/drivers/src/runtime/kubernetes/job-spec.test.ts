import { describe, expect, it } from "vitest";
import type { WorkerSpec } from "../worker-runtime.js";
import { workerSpecFixture } from "../../contract/worker-spec-fixture.js";
import { affinityOf, nurseRecordsLog, tolerationsOf, workerJob } from "./job-spec.js";

const RUN = "0f6c1b4e-7d2a-4c59-9a43-1e2b3c4d5e6f";

function spec(overrides: Partial<WorkerSpec> = {}): WorkerSpec {
  return workerSpecFixture({ runId: RUN, planId: "plan-1", image: "localhost/train:1.0" }, overrides);
}

describe("workerJob", () => {
  it("builds the reference's Job: name, labels, no retries, Never restart, no token without a service account", () => {
    const job = workerJob(spec({ labels: { "knitfab/worker.plan": "plan-1" } }), { namespace: "knit" });
    expect(job.metadata).toEqual({
      name: `worker-run-${RUN}`,
      namespace: "knit",
      labels: { "knitfab/worker.plan": "plan-1", "knitfab/run-id": RUN, "knitfab/plan-id": "plan-1", "knitfab/worker": "true" },
    });
    expect(job.spec?.backoffLimit).toBe(0);
    expect(job.spec?.parallelism).toBe(1);
    const pod = job.spec?.template.spec;
    expect(pod?.restartPolicy).toBe("Never");
    expect(pod?.enableServiceLinks).toBe(false);
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.serviceAccountName).toBeUndefined();
    expect(pod?.priorityClassName).toBeUndefined();
    expect(pod?.initContainers).toBeUndefined();
    expect(pod?.tolerations).toBeUndefined();
    expect(pod?.affinity).toBeUndefined();
    // Neither command nor args when the plan sets none: the image's own entrypoint runs.
    expect(pod?.containers).toEqual([{ name: "main", image: "localhost/train:1.0" }]);
    expect(job.spec?.template.metadata?.labels).toEqual({ "knitfab/run-id": RUN, "knitfab/worker": "true" });
  });

  it("passes entrypoint, args, env, limits (extended resources too), service account and priority class", () => {
    const job = workerJob(
      spec({
        entrypoint: ["python", "-u"],
        args: ["train.py", "--epochs", "3"],
        env: { A: "1", EMPTY: "" },
        resources: { cpu: "500m", memory: "1Gi", "nvidia.com/gpu": "1" },
        serviceAccount: "trainer",
      }),
      { namespace: "knit", priorityClassName: "knit-worker-priority" },
    );
    const pod = job.spec?.template.spec;
    expect(pod?.priorityClassName).toBe("knit-worker-priority");
    expect(pod?.serviceAccountName).toBe("trainer");
    expect(pod?.automountServiceAccountToken).toBe(true);
    expect(pod?.containers[0]).toEqual({
      name: "main",
      image: "localhost/train:1.0",
      command: ["python", "-u"],
      args: ["train.py", "--epochs", "3"],
      env: [
        { name: "A", value: "1" },
        { name: "EMPTY", value: "" },
      ],
      resources: { limits: { cpu: "500m", memory: "1Gi", "nvidia.com/gpu": "1" } },
    });
  });

  it("mounts inputs read-only and outputs writable, from claims and host folders, and checks outputs are empty first", () => {
    const job = workerJob(
      spec({
        mounts: [
          { volume: { kind: "claim", claimName: "data-knitid-a" }, target: "/in/1", readOnly: true },
          { volume: { kind: "host-folder", path: "/srv/knitfab/data/b" }, target: "/out", readOnly: false },
        ],
      }),
      { namespace: "knit", helperImage: "localhost/knit-empty:1" },
    );
    const pod = job.spec?.template.spec;
    expect(pod?.volumes).toEqual([
      { name: "in-0", persistentVolumeClaim: { claimName: "data-knitid-a", readOnly: true } },
      { name: "out-1", hostPath: { path: "/srv/knitfab/data/b", type: "Directory" } },
    ]);
    expect(pod?.containers[0]?.volumeMounts).toEqual([
      { name: "in-0", mountPath: "/in/1", readOnly: true },
      { name: "out-1", mountPath: "/out" },
    ]);
    const init = pod?.initContainers ?? [];
    expect(init).toHaveLength(1);
    expect(init[0]).toMatchObject({
      name: "init-main",
      image: "localhost/knit-empty:1",
      imagePullPolicy: "IfNotPresent",
      volumeMounts: [{ name: "out-1", mountPath: "/out", readOnly: true }],
      resources: { limits: { cpu: "50m", memory: "100Mi" } },
    });
    expect(init[0]?.command?.slice(-1)).toEqual(["/out"]);
    // Without a helper image the check runs in the run's own image (on the node already).
    expect(workerJob(spec({ mounts: [{ volume: { kind: "claim", claimName: "c" }, target: "/out", readOnly: false }] }), { namespace: "n" }).spec?.template.spec?.initContainers?.[0]?.image).toBe(
      "localhost/train:1.0",
    );
  });
});

describe("the log sidecar (nurse)", () => {
  const nurse = { image: "localhost/knitfab-server:1", secretName: "knit-nurse-secret" };
  const logClaim = { kind: "claim", claimName: "data-knitid-log1" } as const;

  it("adds the nurse beside main with the log claim writable at /log and its own token secret, main untouched", () => {
    const job = workerJob(
      spec({ log: logClaim, mounts: [{ volume: { kind: "claim", claimName: "data-knitid-a" }, target: "/in", readOnly: true }] }),
      { namespace: "knit", nurse },
    );
    const pod = job.spec?.template.spec;
    expect(pod?.volumes).toEqual([
      { name: "serviceaccount", secret: { secretName: "knit-nurse-secret" } },
      { name: "in-0", persistentVolumeClaim: { claimName: "data-knitid-a", readOnly: true } },
      { name: "log", persistentVolumeClaim: { claimName: "data-knitid-log1" } },
    ]);
    expect(pod?.containers.map((container) => container.name)).toEqual(["main", "nurse"]);
    // The task sees neither the log nor the nurse's token, and gets no token of its own.
    expect(pod?.containers[0]?.volumeMounts).toEqual([{ name: "in-0", mountPath: "/in", readOnly: true }]);
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.containers[1]).toEqual({
      name: "nurse",
      image: "localhost/knitfab-server:1",
      imagePullPolicy: "IfNotPresent",
      args: ["nurse", "main", "/log/log"],
      env: [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      ],
      volumeMounts: [
        { name: "log", mountPath: "/log" },
        { name: "serviceaccount", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true },
      ],
      resources: { requests: { cpu: "50m", memory: "100Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
      securityContext: { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false },
    });
    expect(nurseRecordsLog({ nurse }, logClaim)).toBe(true);
  });

  it("adds no nurse without a log, without the setting, or for a log that is not a claim", () => {
    const names = (worker: WorkerSpec, options: Parameters<typeof workerJob>[1]) => workerJob(worker, options).spec?.template.spec?.containers.map((c) => c.name);
    expect(names(spec(), { namespace: "knit", nurse })).toEqual(["main"]);
    expect(names(spec({ log: logClaim }), { namespace: "knit" })).toEqual(["main"]);
    const hostLog = { kind: "host-folder", path: "/srv/knitfab/data/log1" } as const;
    expect(names(spec({ log: hostLog }), { namespace: "knit", nurse })).toEqual(["main"]);
    expect(workerJob(spec({ log: logClaim }), { namespace: "knit" }).spec?.template.spec?.volumes).toBeUndefined();
    expect(nurseRecordsLog({}, logClaim)).toBe(false);
    expect(nurseRecordsLog({ nurse }, hostLog)).toBe(false);
    expect(nurseRecordsLog({ nurse }, undefined)).toBe(false);
  });
});

describe("on_node as tolerations and node affinity (seed §1.2.1.3)", () => {
  it("may: NoSchedule tolerations only", () => {
    const onNode = { may: [{ key: "gpu", value: "any" }], prefer: [], must: [] };
    expect(tolerationsOf(onNode)).toEqual([{ key: "gpu", operator: "Equal", value: "any", effect: "NoSchedule" }]);
    expect(affinityOf(onNode)).toBeUndefined();
  });

  it("prefer: NoSchedule and PreferNoSchedule tolerations and a preferred affinity per key", () => {
    const onNode = { may: [], prefer: [{ key: "vram", value: "large" }, { key: "vram", value: "huge" }], must: [] };
    expect(tolerationsOf(onNode)).toEqual([
      { key: "vram", operator: "Equal", value: "large", effect: "NoSchedule" },
      { key: "vram", operator: "Equal", value: "large", effect: "PreferNoSchedule" },
      { key: "vram", operator: "Equal", value: "huge", effect: "NoSchedule" },
      { key: "vram", operator: "Equal", value: "huge", effect: "PreferNoSchedule" },
    ]);
    expect(affinityOf(onNode)).toEqual({
      nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: "vram", operator: "In", values: ["large", "huge"] }] } }] },
    });
  });

  it("must: tolerations and one required term, keys AND'ed and values of a key OR'ed; duplicates once", () => {
    const onNode = {
      may: [{ key: "accelerator", value: "gpu" }],
      prefer: [],
      must: [
        { key: "accelerator", value: "gpu" },
        { key: "accelerator", value: "tpu" },
        { key: "zone", value: "a" },
      ],
    };
    expect(tolerationsOf(onNode)).toEqual([
      { key: "accelerator", operator: "Equal", value: "gpu", effect: "NoSchedule" },
      { key: "accelerator", operator: "Equal", value: "gpu", effect: "PreferNoSchedule" },
      { key: "accelerator", operator: "Equal", value: "tpu", effect: "NoSchedule" },
      { key: "accelerator", operator: "Equal", value: "tpu", effect: "PreferNoSchedule" },
      { key: "zone", operator: "Equal", value: "a", effect: "NoSchedule" },
      { key: "zone", operator: "Equal", value: "a", effect: "PreferNoSchedule" },
    ]);
    expect(affinityOf(onNode)).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: "accelerator", operator: "In", values: ["gpu", "tpu"] },
                { key: "zone", operator: "In", values: ["a"] },
              ],
            },
          ],
        },
      },
    });
  });
});

/**
 * Every Job the driver builds, checked against the official Kubernetes OpenAPI schemas as packaged
 * by `kubernetes-models` (5.x: schemas of Kubernetes v1.36.0, the minor version of the control
 * plane the integration tests run) with `@kubernetes-models/validate` (ajv). This is a quick,
 * offline check of field names, types and enums; kubernetes-runtime.test.ts has the real API
 * server accept the Jobs too. The schemas check types, required fields and enums; they do not
 * refuse unknown fields (the OpenAPI definitions do not close objects).
 */
import type { V1Job } from "@kubernetes/client-node";
import type { ModelData } from "@kubernetes-models/base";
import { Job, type IJob } from "kubernetes-models/batch/v1/Job";
import { describe, expect, it } from "vitest";
import type { WorkerSpec } from "../worker-runtime.js";
import { workerSpecFixture } from "../../contract/worker-spec-fixture.js";
import { workerJob } from "./job-spec.js";

const RUN = "0f6c1b4e-7d2a-4c59-9a43-1e2b3c4d5e6f";

function spec(overrides: Partial<WorkerSpec> = {}): WorkerSpec {
  return workerSpecFixture({ runId: RUN, planId: "plan-1", image: "localhost/train:1.0" }, overrides);
}

/** The Job as the API would receive it (JSON), validated by the schema; throws with ajv's errors. */
function validateJob(job: V1Job): void {
  // The driver's Job is the client library's type; the schema package has its own. They meet as JSON.
  const data = JSON.parse(JSON.stringify({ apiVersion: "batch/v1", kind: "Job", ...job })) as ModelData<IJob>;
  new Job(data).validate();
}

describe("worker Jobs against the Kubernetes v1.36 schemas", () => {
  const cases: Record<string, WorkerSpec> = {
    "the simplest run": spec(),
    "claims in and out, env, entrypoint and args, a service account": spec({
      entrypoint: ["python", "-u"],
      args: ["train.py"],
      env: { A: "1", EMPTY: "" },
      serviceAccount: "trainer",
      mounts: [
        { volume: { kind: "claim", claimName: "data-knitid-a" }, target: "/in/1", readOnly: true },
        { volume: { kind: "claim", claimName: "data-knitid-b" }, target: "/out", readOnly: false },
      ],
    }),
    "host folders in and out": spec({
      mounts: [
        { volume: { kind: "host-folder", path: "/srv/knitfab/data/a" }, target: "/in", readOnly: true },
        { volume: { kind: "host-folder", path: "/srv/knitfab/data/b" }, target: "/out", readOnly: false },
      ],
    }),
    "a log recorded by the nurse, beside a plan's service account": spec({
      serviceAccount: "trainer",
      log: { kind: "claim", claimName: "data-knitid-log" },
      mounts: [{ volume: { kind: "claim", claimName: "data-knitid-b" }, target: "/out", readOnly: false }],
    }),
    "cpu, memory and GPU limits": spec({ resources: { cpu: "500m", memory: "1Gi", "nvidia.com/gpu": "1" } }),
    "may, prefer and must together": spec({
      onNode: {
        may: [{ key: "accelerator", value: "gpu" }],
        prefer: [{ key: "vram", value: "large" }, { key: "vram", value: "huge" }],
        must: [
          { key: "accelerator", value: "gpu" },
          { key: "zone", value: "a" },
        ],
      },
    }),
  };
  for (const [name, worker] of Object.entries(cases)) {
    it(`builds a valid Job for ${name}`, () => {
      const options = { namespace: "knit", priorityClassName: "knit-worker-priority", helperImage: "localhost/knit-empty:1" };
      expect(() => validateJob(workerJob(worker, { ...options, nurse: { image: "localhost/knitfab-server:1", secretName: "knit-nurse-secret" } }))).not.toThrow();
    });
  }

  it("does find what the schema forbids (so the checks above can fail)", () => {
    const job = workerJob(spec({ mounts: [{ volume: { kind: "host-folder", path: "/srv/a" }, target: "/out", readOnly: false }] }), { namespace: "knit" });
    const pod = job.spec?.template.spec;
    if (!job.spec || !pod) throw new Error("the Job has no pod template");
    const withPod = (changed: typeof pod): V1Job => ({ ...job, spec: { ...job.spec, template: { ...job.spec?.template, spec: changed } } });
    expect(() => validateJob(withPod({ ...pod, tolerations: [{ key: "gpu", operator: "Equals", value: "any" }] }))).toThrow(
      "data/spec/template/spec/tolerations/0/operator must be equal to one of the allowed values",
    );
    expect(() => validateJob(withPod({ ...pod, volumes: [{ name: "out-0", hostPath: { path: "/srv/a", type: "Folder" } }] }))).toThrow(
      "data/spec/template/spec/volumes/0/hostPath/type must be equal to one of the allowed values",
    );
    const { name: _name, ...unnamed } = pod.containers[0] ?? { name: "main" };
    expect(() => validateJob(withPod({ ...pod, containers: [unnamed as typeof pod.containers[0]] }))).toThrow("data/spec/template/spec/containers/0 must have required property name");
  });
});

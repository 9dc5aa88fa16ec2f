import { describe, expect, it } from "vitest";
import { containerCreateOptions, resourceLimits } from "./docker-container-spec.js";
import type { WorkerSpec } from "./worker-runtime.js";

const base: WorkerSpec = {
  runId: "run-1",
  planId: "plan-1",
  image: "localhost/train:1.0",
  entrypoint: [],
  args: [],
  env: {},
  mounts: [],
  resources: {},
  onNode: { may: [], prefer: [], must: [] },
  labels: {},
};

describe("container creation options", () => {
  it("names and labels the container after the run and keeps the image's entrypoint and command when none is given", () => {
    const options = containerCreateOptions({ ...base, labels: { "team/name": "vision", "knitfab/run-id": "forged" } });
    expect(options.name).toBe("worker-run-run-1");
    expect(options.Image).toBe("localhost/train:1.0");
    expect(options.Labels).toEqual({
      "team/name": "vision",
      "knitfab/run-id": "run-1",
      "knitfab/plan-id": "plan-1",
      "knitfab/worker": "true",
    });
    expect(options).not.toHaveProperty("Entrypoint");
    expect(options).not.toHaveProperty("Cmd");
    expect(options.HostConfig?.AutoRemove).toBe(false);
  });

  it("overrides entrypoint and command, passes env, binds inputs read-only and outputs writable", () => {
    const options = containerCreateOptions({
      ...base,
      entrypoint: ["python", "-m", "train"],
      args: ["--epochs", "3"],
      env: { A: "1", B: "x=y" },
      mounts: [
        { volume: { kind: "host-folder", path: "/data/in" }, target: "/in/1", readOnly: true },
        { volume: { kind: "host-folder", path: "/data/out" }, target: "/out/1", readOnly: false },
      ],
    });
    expect(options.Entrypoint).toEqual(["python", "-m", "train"]);
    expect(options.Cmd).toEqual(["--epochs", "3"]);
    expect(options.Env).toEqual(["A=1", "B=x=y"]);
    expect(options.HostConfig?.Binds).toEqual(["/data/in:/in/1:ro", "/data/out:/out/1:rw"]);
  });

  it("runs tasks without new privileges and with only the capabilities ordinary images need", () => {
    const options = containerCreateOptions(base);
    expect(options.HostConfig?.SecurityOpt).toEqual(["no-new-privileges"]);
    expect(options.HostConfig?.CapDrop).toEqual(["ALL"]);
    expect(options.HostConfig?.CapAdd).toEqual(["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL"]);
  });

  it("refuses mount paths a bind cannot express", () => {
    expect(() => containerCreateOptions({ ...base, mounts: [{ volume: { kind: "host-folder", path: "/a:b" }, target: "/in", readOnly: true }] })).toThrow(
      /contains ":"/,
    );
    expect(() => containerCreateOptions({ ...base, mounts: [{ volume: { kind: "host-folder", path: "/a" }, target: "in", readOnly: true }] })).toThrow(
      /not absolute/,
    );
  });

  it("refuses a volume kind it cannot mount (a claim is a Kubernetes runtime's), naming no host path", () => {
    expect(() => containerCreateOptions({ ...base, mounts: [{ volume: { kind: "claim", claimName: "data-knitid-k" }, target: "/in", readOnly: true }] })).toThrow(
      /cannot mount claim "data-knitid-k" at \/in/,
    );
  });

  it("turns Kubernetes limits into engine limits without swap", () => {
    expect(resourceLimits({ cpu: "500m", memory: "1Gi", "nvidia.com/gpu": "2" })).toEqual({
      NanoCpus: 500_000_000,
      Memory: 1073741824,
      MemorySwap: 1073741824,
      DeviceRequests: [{ Driver: "nvidia", Count: 2, Capabilities: [["gpu"]] }],
    });
    expect(resourceLimits({})).toEqual({});
    expect(resourceLimits({ "nvidia.com/gpu": "0", "ephemeral-storage": "1Gi" })).toEqual({});
    expect(() => resourceLimits({ cpu: "fast" })).toThrow(/"fast" is not a resource quantity/);
  });
});

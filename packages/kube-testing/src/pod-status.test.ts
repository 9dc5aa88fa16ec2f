import { describe, expect, it } from "vitest";
import type { V1Pod } from "@kubernetes/client-node";
import { derivePodStatus, type ObservedContainer, type PodObservation } from "./pod-status.js";

const pod: V1Pod = {
  metadata: { name: "p" },
  spec: { initContainers: [{ name: "init", image: "i" }], containers: [{ name: "main", image: "m" }] },
};
const NOW = "2026-01-01T00:00:00Z";

const container = (state: string, exitCode = 0, extra: Partial<ObservedContainer> = {}): ObservedContainer => ({
  id: "c1",
  state,
  exitCode,
  oomKilled: false,
  memoryLimited: false,
  startedAt: NOW,
  finishedAt: NOW,
  ...extra,
});

const observation = (parts: Partial<PodObservation>): PodObservation => ({
  init: new Map(),
  main: new Map(),
  initDone: false,
  waiting: new Map(),
  sandbox: true,
  startTime: NOW,
  ...parts,
});

describe("derivePodStatus", () => {
  it("is Pending with PodInitializing while the init container runs", () => {
    const status = derivePodStatus(pod, observation({ init: new Map([["init", container("running")]]) }), NOW);
    expect(status.phase).toBe("Pending");
    expect(status.initContainerStatuses?.[0]?.state?.running).toBeDefined();
    expect(status.containerStatuses?.[0]?.state?.waiting?.reason).toBe("PodInitializing");
  });

  it("counts a removed init container as completed once the main container runs, and is Running", () => {
    const status = derivePodStatus(pod, observation({ main: new Map([["main", container("running")]]) }), NOW);
    expect(status.phase).toBe("Running");
    expect(status.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  it("is Failed when the init container fails", () => {
    const status = derivePodStatus(pod, observation({ init: new Map([["init", container("exited", 5)]]) }), NOW);
    expect(status.phase).toBe("Failed");
    expect(status.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 5, reason: "Error" });
  });

  it("is Succeeded or Failed by the main container's exit code", () => {
    expect(derivePodStatus(pod, observation({ initDone: true, main: new Map([["main", container("exited", 0)]]) }), NOW).phase).toBe("Succeeded");
    const failed = derivePodStatus(pod, observation({ initDone: true, main: new Map([["main", container("exited", 2)]]) }), NOW);
    expect(failed.phase).toBe("Failed");
    expect(failed.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 2, reason: "Error" });
  });

  it("reads exit 137 under a memory limit as OOMKilled, but not when the kubelet stopped the pod", () => {
    const killed = observation({ initDone: true, main: new Map([["main", container("exited", 137, { memoryLimited: true })]]) });
    expect(derivePodStatus(pod, killed, NOW).containerStatuses?.[0]?.state?.terminated?.reason).toBe("OOMKilled");
    expect(derivePodStatus(pod, killed, NOW, true).containerStatuses?.[0]?.state?.terminated?.reason).toBe("Error");
  });

  it("shows image pull errors as waiting reasons and stays Pending", () => {
    const status = derivePodStatus(pod, observation({ sandbox: false, waiting: new Map([["main", { reason: "ErrImagePull", message: "no image" }]]) }), NOW);
    expect(status.phase).toBe("Pending");
    expect(status.containerStatuses?.[0]?.state?.waiting).toEqual({ reason: "ErrImagePull", message: "no image" });
  });

  it("is Running but not Ready while a main container's readiness probe has not succeeded", () => {
    const running = observation({ initDone: true, main: new Map([["main", container("running")]]) });
    const waiting = derivePodStatus(pod, { ...running, unready: new Set(["main"]) }, NOW);
    expect(waiting.phase).toBe("Running");
    expect(waiting.containerStatuses?.[0]?.ready).toBe(false);
    expect(waiting.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    const ready = derivePodStatus(pod, { ...running, unready: new Set() }, NOW);
    expect(ready.containerStatuses?.[0]?.ready).toBe(true);
    expect(ready.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
  });
});

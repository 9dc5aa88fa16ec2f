import { describe, expect, it } from "vitest";
import { neverStarted, startErrorState, workerStateOf, type ContainerFacts } from "./docker-state.js";

const exited: ContainerFacts = {
  status: "exited",
  exitCode: 0,
  oomKilled: false,
  error: "",
  startedAt: "2026-01-01T00:00:00.1Z",
  memoryLimit: 0,
};
const podmanQuirk = { memoryOomIsExit137: true };
const strict = { memoryOomIsExit137: false };

describe("worker state of a container", () => {
  it("follows the container's life", () => {
    expect(workerStateOf({ ...exited, status: "created", startedAt: "0001-01-01T00:00:00Z" }, strict)).toEqual({ phase: "pending" });
    expect(workerStateOf({ ...exited, status: "running" }, strict)).toEqual({ phase: "running" });
    expect(workerStateOf({ ...exited, status: "paused" }, strict)).toEqual({ phase: "running" });
    expect(workerStateOf(exited, strict)).toEqual({ phase: "succeeded" });
  });

  it("reports a failed main container with its exit code", () => {
    expect(workerStateOf({ ...exited, exitCode: 2 }, strict)).toEqual({
      phase: "failed",
      exitCode: 2,
      message: "(container main) Error",
    });
  });

  it("reports OOMKilled when the engine says so, or for exit 137 under a memory limit when asked to", () => {
    const oom = { phase: "failed", exitCode: 137, message: "(container main) OOMKilled" };
    expect(workerStateOf({ ...exited, exitCode: 137, oomKilled: true }, strict)).toEqual(oom);
    expect(workerStateOf({ ...exited, exitCode: 137, memoryLimit: 16 << 20 }, podmanQuirk)).toEqual(oom);
    // Without a memory limit a SIGKILL is no OOM; without the quirk only the engine's flag counts.
    expect(workerStateOf({ ...exited, exitCode: 137 }, podmanQuirk)).toMatchObject({ message: "(container main) Error" });
    expect(workerStateOf({ ...exited, exitCode: 137, memoryLimit: 16 << 20 }, strict)).toMatchObject({
      message: "(container main) Error",
    });
  });

  it("never calls a dead container a success", () => {
    expect(workerStateOf({ ...exited, status: "dead" }, strict)).toEqual({
      phase: "failed",
      exitCode: 1,
      message: "(container main) Error",
    });
  });

  it("knows a container that never started", () => {
    expect(neverStarted({ ...exited, startedAt: "0001-01-01T00:00:00Z" })).toBe(true);
    expect(neverStarted({ ...exited, startedAt: "" })).toBe(true);
    expect(neverStarted(exited)).toBe(false);
  });

  it("reports a refused start like Kubernetes' StartError", () => {
    expect(startErrorState("exec: not found")).toEqual({
      phase: "failed",
      exitCode: 128,
      message: "(container main) StartError: exec: not found",
    });
  });
});

import { describe, expect, it } from "vitest";
import { isExitRace, isNotFound, retryingExitRace } from "./docker-errors.js";

/** The shape dockerode gives an engine's error answer. */
function engineError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message}`), {
    statusCode,
    json: { cause: message, message },
  });
}

describe("engine errors", () => {
  it("tell Podman's race with an exiting process from real failures", () => {
    expect(isExitRace(engineError(500, "read /proc/30036/cgroup: no such process"))).toBe(true);
    expect(isExitRace(engineError(500, "no such container"))).toBe(false);
    expect(isExitRace(engineError(404, "no such process"))).toBe(false);
    expect(isExitRace(new Error("no such process"))).toBe(false);
    expect(isNotFound(engineError(500, "no such container"))).toBe(true);
  });

  it("retry a request while it only races an exit, and give up on anything else", async () => {
    let calls = 0;
    const answer = await retryingExitRace(async () => {
      calls++;
      if (calls < 3) throw engineError(500, "read /proc/1/cgroup: no such process");
      return "inspected";
    });
    expect({ answer, calls }).toEqual({ answer: "inspected", calls: 3 });

    calls = 0;
    const refused = retryingExitRace(async () => {
      calls++;
      throw engineError(500, "something else broke");
    });
    await expect(refused).rejects.toThrow(/something else broke/);
    expect(calls).toBe(1);

    calls = 0;
    await expect(
      retryingExitRace(async () => {
        calls++;
        throw engineError(500, "read /proc/1/cgroup: no such process");
      }),
    ).rejects.toThrow(/no such process/);
    expect(calls).toBe(5);
  });
});

import { describe, expect, it } from "vitest";
import type { RunStatus, RunTimelineEntry } from "@knitfab/api";
import { formatMs, planTotals, runTimes } from "./run-phases.js";

const at = (second: number) => `2024-03-06T09:00:${String(second).padStart(2, "0")}+00:00`;
const t = (second: number) => new Date(at(second)).getTime();

function entry(changes: Array<[RunStatus, number]>, planId = "p1"): RunTimelineEntry {
  const last = changes.at(-1) ?? ["waiting", 0];
  return {
    runId: `run-${planId}`,
    planId,
    status: last[0],
    createdAt: at(changes[0]?.[1] ?? 0),
    updatedAt: at(last[1]),
    changes: changes.map(([status, second]) => ({ status, at: at(second) })),
  };
}

describe("run phases", () => {
  it("splits a finished run into queue and run time", () => {
    const times = runTimes(entry([["waiting", 0], ["ready", 2], ["starting", 5], ["running", 6], ["completing", 16], ["done", 17]]), t(59));
    expect(times.segments).toEqual([
      { phase: "waiting", from: t(0), to: t(5) },
      { phase: "starting", from: t(5), to: t(6) },
      { phase: "running", from: t(6), to: t(16) },
      { phase: "finishing", from: t(16), to: t(17) },
    ]);
    expect(times).toMatchObject({ queueMs: 6000, runMs: 11000, endedAt: t(17), status: "done" });
  });

  it("closes a live run at now, and counts only the last attempt after a retry", () => {
    expect(runTimes(entry([["waiting", 0], ["running", 4]]), t(10))).toMatchObject({ queueMs: 4000, runMs: 6000 });
    expect(runTimes(entry([["waiting", 0]]), t(10))).toMatchObject({ queueMs: 10000 });
    expect(runTimes(entry([["waiting", 0]]), t(10)).runMs).toBeUndefined();
    const retried = runTimes(entry([["waiting", 0], ["running", 1], ["failed", 3], ["waiting", 20], ["running", 25], ["done", 30]]), t(59));
    expect(retried).toMatchObject({ queueMs: 5000, runMs: 5000, endedAt: t(30) });
    expect(retried.segments.map((s) => s.phase)).toEqual(["waiting", "running", "waiting", "running"]);
  });

  it("marks the unknown time of a run recorded before the history was kept", () => {
    const old = { ...entry([["done", 40]]), createdAt: at(10) };
    const times = runTimes(old, t(59));
    expect(times.segments).toEqual([{ phase: "unrecorded", from: t(10), to: t(40) }]);
    expect(times.runMs).toBeUndefined();
  });

  it("totals time per plan, the plan that runs longest first", () => {
    const now = t(59);
    const totals = planTotals(
      [
        runTimes(entry([["waiting", 0], ["running", 1], ["done", 3]], "fast"), now),
        runTimes(entry([["waiting", 3], ["running", 10], ["done", 40]], "slow"), now),
      ],
      now,
    );
    expect(totals.map((p) => [p.planId, p.queueMs, p.runMs, p.spanMs])).toEqual([
      ["slow", 7000, 30000, 37000],
      ["fast", 1000, 2000, 3000],
    ]);
  });

  it("formats durations for reading", () => {
    expect([formatMs(850), formatMs(4200), formatMs(185_000), formatMs(7_440_000)]).toEqual(["850 ms", "4.2 s", "3 min 05 s", "2 h 04 min"]);
  });
});

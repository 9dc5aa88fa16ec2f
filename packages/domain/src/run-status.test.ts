import { describe, expect, it } from "vitest";
import * as contract from "@knitfab/api/run-statuses";
import {
  FAILED_STATUSES,
  PROCESSING_STATUSES,
  RUN_STATUSES,
  TERMINAL_STATUSES,
  illegalTransitionMessage,
  isFinishingChange,
  isRunStatus,
  statusChange,
  transientOf,
  type RunStatus,
} from "./run-status.js";

// model.md §8.2, written out row by row: c = change, n = no-op, x = illegal.
// columns: deactivated waiting ready starting running completing aborting done failed invalidated
const TABLE: Record<RunStatus, string> = {
  deactivated: "n c x x x x c x x x",
  waiting: "    c n c x x x c x x x",
  ready: "      x x n c c c c x x x",
  starting: "   x x x n c c c x x x",
  running: "    x x x x n c c x x x",
  completing: " x x x x x n x c x x",
  aborting: "   x x x x x x n x c x",
  done: "       x x x x x x x x x x",
  failed: "     x x x x x x x x x x",
  invalidated: "x x x x x x x x x x",
};

const MEANING = { c: "change", n: "noop", x: "illegal" } as const;

describe("statusChange", () => {
  const cases = RUN_STATUSES.flatMap((from) => {
    const row = TABLE[from].trim().split(/\s+/);
    expect(row).toHaveLength(10);
    return RUN_STATUSES.map((to, i) => [from, to, MEANING[row[i] as keyof typeof MEANING]] as const);
  });

  it("covers all 100 pairs", () => {
    expect(cases).toHaveLength(100);
  });

  it.each(cases)("%s -> %s is %s", (from, to, expected) => {
    expect(statusChange(from, to)).toBe(expected);
  });

  it("marks only completing→done and aborting→failed as finishing", () => {
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) {
        const expected = (from === "completing" && to === "done") || (from === "aborting" && to === "failed");
        expect(isFinishingChange(from, to)).toBe(expected);
      }
    }
  });
});

describe("status groups", () => {
  it("are the wire contract's lists, not copies (issue 10: one run status list)", () => {
    expect(RUN_STATUSES).toBe(contract.RUN_STATUSES);
    expect(TERMINAL_STATUSES).toBe(contract.TERMINAL_RUN_STATUSES);
  });

  it("partition the statuses into processing, done and failed", () => {
    expect(RUN_STATUSES).toHaveLength(10);
    expect([...PROCESSING_STATUSES, "done", ...FAILED_STATUSES].sort()).toEqual([...RUN_STATUSES].sort());
    expect([...TERMINAL_STATUSES].sort()).toEqual(["done", "failed", "invalidated"]);
  });

  it("give the knit#transient value of outputs", () => {
    expect(transientOf("running")).toBe("processing");
    expect(transientOf("deactivated")).toBe("processing");
    expect(transientOf("aborting")).toBe("processing");
    expect(transientOf("done")).toBeUndefined();
    expect(transientOf("failed")).toBe("failed");
    expect(transientOf("invalidated")).toBe("failed");
  });
});

describe("isRunStatus", () => {
  it("accepts exactly the ten statuses", () => {
    for (const s of RUN_STATUSES) expect(isRunStatus(s)).toBe(true);
    for (const s of ["", "Done", "completed", 1, null, undefined]) expect(isRunStatus(s)).toBe(false);
  });
});

it("illegalTransitionMessage uses the reference wording", () => {
  expect(illegalTransitionMessage("done", "running")).toBe("cannot change run state: done -> running");
});

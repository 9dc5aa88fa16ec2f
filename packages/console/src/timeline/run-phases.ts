// A run's status history (GET /api/x/runs/timeline) as bars on a time axis: how long it waited for a
// worker, how long it ran, and how it ended. Pure functions; the drawing lives in views/run-timeline.tsx.
import type { RunStatus, RunTimelineEntry } from "@knitfab/api";

/**
 * What a stretch of a run's life is drawn as. `waiting` covers deactivated, waiting and ready (queued
 * for a worker slot); `starting` is the container being created; `finishing` is completing or aborting
 * (outputs being sealed); `unrecorded` is time before the status history was kept (schema 7).
 */
export type Phase = "unrecorded" | "waiting" | "starting" | "running" | "finishing";

export interface Segment {
  phase: Phase;
  /** ms since the epoch */
  from: number;
  to: number;
}

export interface RunTimes {
  runId: string;
  planId: string;
  status: RunStatus;
  createdAt: number;
  segments: Segment[];
  /** When the last attempt ended (done, failed or invalidated); absent while it goes on. */
  endedAt?: number;
  /** Of the last attempt: from entering the queue to running (or to now, or to its end if it never ran). */
  queueMs: number;
  /** Of the last attempt: from running to its end (or to now); absent if it never ran. */
  runMs?: number;
}

const PHASE: Record<RunStatus, Phase | "end"> = {
  deactivated: "waiting",
  waiting: "waiting",
  ready: "waiting",
  starting: "starting",
  running: "running",
  completing: "finishing",
  aborting: "finishing",
  done: "end",
  failed: "end",
  invalidated: "end",
};

export const ms = (timestamp: string) => new Date(timestamp).getTime();

/** Segments and durations of one run; `now` closes the stretch a live run is in. */
export function runTimes(entry: RunTimelineEntry, now: number): RunTimes {
  const createdAt = ms(entry.createdAt);
  const changes = entry.changes.map((c) => ({ status: c.status, at: ms(c.at) }));
  const segments: Segment[] = [];
  const first = changes[0];
  // A run from before the history was kept shows only its last change: the time before it is unknown.
  if (first && PHASE[first.status] !== "waiting" && first.at > createdAt) segments.push({ phase: "unrecorded", from: createdAt, to: first.at });
  let attemptStart = first && PHASE[first.status] === "waiting" ? Math.min(createdAt, first.at) : createdAt;
  let runningAt: number | undefined;
  let endedAt: number | undefined;
  changes.forEach((change, index) => {
    const phase = PHASE[change.status];
    const next = changes[index + 1];
    const previous = changes[index - 1];
    if (phase === "waiting" && previous && PHASE[previous.status] === "end") {
      // a retry: a new attempt starts
      attemptStart = change.at;
      runningAt = undefined;
      endedAt = undefined;
    }
    if (phase === "running" && runningAt === undefined) runningAt = change.at;
    if (phase === "end") {
      endedAt = change.at;
      return;
    }
    const from = index === 0 && phase === "waiting" ? attemptStart : change.at;
    const to = next ? next.at : now;
    const last = segments.at(-1);
    if (last && last.phase === phase && last.to === from) last.to = to;
    else segments.push({ phase, from, to });
  });
  const end = endedAt ?? now;
  const result: RunTimes = {
    runId: entry.runId,
    planId: entry.planId,
    status: entry.status,
    createdAt,
    segments,
    queueMs: Math.max(0, (runningAt ?? end) - attemptStart),
  };
  if (endedAt !== undefined) result.endedAt = endedAt;
  if (runningAt !== undefined) result.runMs = Math.max(0, end - runningAt);
  return result;
}

/** "850 ms", "4.2 s", "3 min 05 s", "2 h 04 min". */
export function formatMs(value: number): string {
  if (value < 1000) return `${Math.round(value)} ms`;
  const seconds = value / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export interface PlanTotals {
  planId: string;
  runs: number;
  /** Sum over the plan's runs: where the pipeline spends its time. */
  queueMs: number;
  runMs: number;
  longestRunMs: number;
  /** From the plan's first run entering the queue to its last run ending (or now). */
  spanMs: number;
}

/** Per plan, the longest-running plan first: the bottleneck of the pipeline heads the list. */
export function planTotals(runs: readonly RunTimes[], now: number): PlanTotals[] {
  const byPlan = new Map<string, PlanTotals & { from: number; to: number }>();
  for (const run of runs) {
    let totals = byPlan.get(run.planId);
    if (!totals) byPlan.set(run.planId, (totals = { planId: run.planId, runs: 0, queueMs: 0, runMs: 0, longestRunMs: 0, spanMs: 0, from: Infinity, to: -Infinity }));
    totals.runs++;
    totals.queueMs += run.queueMs;
    totals.runMs += run.runMs ?? 0;
    totals.longestRunMs = Math.max(totals.longestRunMs, run.runMs ?? 0);
    totals.from = Math.min(totals.from, run.segments[0]?.from ?? run.createdAt);
    totals.to = Math.max(totals.to, run.endedAt ?? now);
  }
  return [...byPlan.values()]
    .map(({ from, to, ...totals }) => ({ ...totals, spanMs: Math.max(0, to - from) }))
    .sort((a, b) => b.runMs - a.runMs || (a.planId < b.planId ? -1 : 1));
}

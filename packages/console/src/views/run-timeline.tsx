// Runs on a time axis (waiting, starting, running, finishing as bars; done/failed as the bar's end),
// with per-plan totals, so a user sees where a pipeline spends its time. Data from our extension
// GET /api/x/runs/timeline; shapes from timeline/run-phases.ts.
import { useMemo, useState } from "react";
import type { RunTimelineEntry } from "@knitfab/api";
import { api } from "../api/client.js";
import { ErrorLine } from "../components/common.js";
import { useFetch } from "../components/use-fetch.js";
import { href } from "../routing/routes.js";
import { formatMs, planTotals, runTimes, type Phase, type RunTimes } from "../timeline/run-phases.js";

/** Ids per timeline request (the server takes at most 200). */
const IDS_PER_REQUEST = 200;
/** Rows drawn at most; the per-plan totals always count every run. */
export const TIMELINE_ROWS = 200;

const PHASE_LABEL: Record<Phase, string> = {
  unrecorded: "before history was kept",
  waiting: "waiting",
  starting: "starting",
  running: "running",
  finishing: "finishing",
};

/** Every run of these plans and these runs, in a few requests. */
export async function loadTimeline(planIds: readonly string[], runIds: readonly string[], signal?: AbortSignal): Promise<RunTimelineEntry[]> {
  const byId = new Map<string, RunTimelineEntry>();
  const requests: URLSearchParams[] = [];
  if (planIds.length > 0) requests.push(new URLSearchParams({ plan: planIds.join(",") }));
  for (let at = 0; at < runIds.length; at += IDS_PER_REQUEST) requests.push(new URLSearchParams({ run: runIds.slice(at, at + IDS_PER_REQUEST).join(",") }));
  for (const query of requests) {
    const answer = await api.runTimeline(query, signal);
    for (const run of answer.runs) byId.set(run.runId, run);
  }
  return [...byId.values()];
}

export function RunTimelineChart({ entries, labels }: { entries: readonly RunTimelineEntry[]; labels: ReadonlyMap<string, string> }) {
  const now = useMemo(() => Date.now(), [entries]);
  const runs = useMemo(
    () => entries.map((e) => runTimes(e, now)).sort((a, b) => start(a) - start(b) || (a.runId < b.runId ? -1 : 1)),
    [entries, now],
  );
  const totals = useMemo(() => planTotals(runs, now), [runs, now]);
  if (runs.length === 0) return <p className="muted">No runs yet.</p>;
  const from = Math.min(...runs.map(start));
  const to = Math.max(...runs.map((r) => r.endedAt ?? now));
  const span = Math.max(1, to - from);
  const left = (t: number) => `${(((t - from) / span) * 100).toFixed(3)}%`;
  const width = (a: number, b: number) => `${Math.max(0.15, ((b - a) / span) * 100).toFixed(3)}%`;
  // Plans of one image read alike: their short ids tell them apart.
  const named = (planId: string) => labels.get(planId) ?? planId.slice(0, 8);
  const shared = new Set(totals.map((p) => named(p.planId)).filter((name, index, all) => all.indexOf(name) !== index));
  const label = (planId: string) => (shared.has(named(planId)) ? `${named(planId)} (${planId.slice(0, 8)})` : named(planId));

  return (
    <div className="timeline" data-testid="timeline">
      <table className="timeline-totals">
        <thead>
          <tr>
            <th>plan</th>
            <th>runs</th>
            <th>time running (sum)</th>
            <th>longest run</th>
            <th>time waiting (sum)</th>
            <th>first start to last end</th>
          </tr>
        </thead>
        <tbody>
          {totals.map((plan, index) => (
            <tr key={plan.planId} data-testid="timeline-plan">
              <td>
                <a href={href.plan(plan.planId)}>{label(plan.planId)}</a>
                {index === 0 && totals.length > 1 && plan.runMs > 0 ? <strong> — most time running</strong> : null}
              </td>
              <td>{plan.runs}</td>
              <td>{formatMs(plan.runMs)}</td>
              <td>{formatMs(plan.longestRunMs)}</td>
              <td>{formatMs(plan.queueMs)}</td>
              <td>{formatMs(plan.spanMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="timeline-legend">
        {(["waiting", "starting", "running", "finishing"] as const).map((phase) => (
          <span key={phase}>
            <span className={`tl-swatch tl-${phase}`} /> {PHASE_LABEL[phase]}
          </span>
        ))}
        <span>
          <span className="tl-swatch tl-end-done" /> done
        </span>
        <span>
          <span className="tl-swatch tl-end-failed" /> failed
        </span>
      </div>
      <div className="tl-axis">
        <span className="tl-label" />
        <span className="tl-track">
          {[0, 0.25, 0.5, 0.75, 1].map((f) => (
            <span key={f} className="tl-tick" style={{ left: `${f * 100}%` }}>
              +{formatMs(f * span)}
            </span>
          ))}
        </span>
      </div>
      {runs.slice(0, TIMELINE_ROWS).map((run) => (
        <div key={run.runId} className="tl-row" data-testid="timeline-row" data-run-id={run.runId} data-queue-ms={run.queueMs} data-run-ms={run.runMs ?? ""}>
          <span className="tl-label" title={`${label(run.planId)} ${run.runId}`}>
            <a href={href.run(run.runId)}>{label(run.planId)}</a> <span className="mono muted">{run.runId.slice(0, 8)}</span>
            <br />
            <span className="tl-durations">
              waited {formatMs(run.queueMs)}
              {run.runMs !== undefined ? ` · ran ${formatMs(run.runMs)}` : ""} · {run.status}
            </span>
          </span>
          <span className="tl-track">
            {run.segments.map((segment, index) => (
              <span
                key={index}
                className={`tl-bar tl-${segment.phase}`}
                style={{ left: left(segment.from), width: width(segment.from, segment.to) }}
                title={`${PHASE_LABEL[segment.phase]} ${formatMs(segment.to - segment.from)}`}
              />
            ))}
            {run.endedAt !== undefined && <span className={`tl-end tl-end-${run.status}`} style={{ left: left(run.endedAt) }} title={run.status} />}
          </span>
        </div>
      ))}
      {runs.length > TIMELINE_ROWS && (
        <p className="muted">
          The first {TIMELINE_ROWS} of {runs.length} runs by start time are drawn; the totals count all of them.
        </p>
      )}
    </div>
  );
}

const start = (run: RunTimes) => run.segments[0]?.from ?? run.createdAt;

/** The runs of one plan on a time axis, loaded when asked for. */
export function PlanTimeline({ planId, label }: { planId: string; label: string }) {
  const [shown, setShown] = useState(false);
  if (!shown) {
    return (
      <button type="button" onClick={() => setShown(true)}>
        Show run timeline
      </button>
    );
  }
  return <LoadedTimeline fetchKey={`plan-timeline:${planId}`} planIds={[planId]} runIds={[]} labels={new Map([[planId, label]])} />;
}

export function LoadedTimeline({ fetchKey, planIds, runIds, labels }: { fetchKey: string; planIds: readonly string[]; runIds: readonly string[]; labels: ReadonlyMap<string, string> }) {
  const timeline = useFetch(fetchKey, (signal) => loadTimeline(planIds, runIds, signal));
  return (
    <div>
      <button type="button" onClick={timeline.reload}>
        Refresh timeline
      </button>{" "}
      {timeline.loading && <span className="muted">loading…</span>}
      <ErrorLine error={timeline.error} />
      {timeline.value && <RunTimelineChart entries={timeline.value} labels={labels} />}
    </div>
  );
}

/** Queue time and run time of one run, as rows of the run's property list. */
export function RunDurations({ runId, updatedAt }: { runId: string; updatedAt: string }) {
  const timeline = useFetch(`run-times:${runId}:${updatedAt}`, (signal) => loadTimeline([], [runId], signal));
  const entry = timeline.value?.[0];
  const times = entry ? runTimes(entry, Date.now()) : undefined;
  const pending = timeline.error ?? (timeline.loading ? "…" : "—");
  return (
    <>
      <dt>Queue time</dt>
      <dd data-testid="run-queue-time">{times ? `${formatMs(times.queueMs)}${times.runMs === undefined && times.endedAt === undefined ? " so far" : ""}` : pending}</dd>
      <dt>Run time</dt>
      <dd data-testid="run-run-time">
        {times ? (times.runMs === undefined ? "not started" : `${formatMs(times.runMs)}${times.endedAt === undefined ? " so far" : ""}`) : pending}
      </dd>
    </>
  );
}

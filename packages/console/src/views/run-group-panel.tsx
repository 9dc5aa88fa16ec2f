// The side panel of a fan-out group (graph/fanout-groups.ts): its counts, a paged list of its runs,
// and the choice to draw them all in place.
import { useState } from "react";
import type { RunDetail } from "@knitfab/api";
import { RUN_STATUSES } from "@knitfab/api/run-statuses";
import { statusSummary, type MountCount, type RunGroup } from "../graph/fanout-groups.js";
import { formatLocal } from "../format/time.js";
import { href } from "../routing/routes.js";
import { planLabel, RunStatusBadge } from "./run-parts.js";

/** Runs listed per page of a group. */
export const GROUP_PAGE = 50;

export const mountSummary = (counts: readonly MountCount[]) => counts.map((c) => `${c.count} ${c.path === "(log)" ? "logs" : `at ${c.path}`}`).join(", ");

/** The text lines of a group's card: what a reader needs without opening it. */
export function groupCardLines(group: RunGroup): string[] {
  return [
    statusSummary(group.statuses, RUN_STATUSES),
    group.produced.length > 0 ? `wrote ${mountSummary(group.produced)}` : "wrote nothing yet",
    group.privateInputs.length > 0 ? `read ${mountSummary(group.privateInputs)} (one each)` : "",
    "click to list · expand in place",
  ].filter((line) => line !== "");
}

export const groupTitle = (group: RunGroup) => `${group.runIds.length} runs of plan ${planLabel(group.plan)}`;

export function RunGroupPanel({ group, runs, onExpand }: { group: RunGroup; runs: ReadonlyMap<string, RunDetail>; onExpand: () => void }) {
  const [page, setPage] = useState(0);
  const pages = Math.ceil(group.runIds.length / GROUP_PAGE);
  const shown = group.runIds.slice(page * GROUP_PAGE, (page + 1) * GROUP_PAGE);
  return (
    <div data-testid="group-panel">
      <h3>{groupTitle(group)}</h3>
      <p>
        <a href={href.plan(group.plan.planId)} className="mono">
          {group.plan.planId}
        </a>
      </p>
      <p data-testid="group-statuses">{statusSummary(group.statuses, RUN_STATUSES)}</p>
      {group.produced.length > 0 && <p>Data written: {mountSummary(group.produced)}</p>}
      {group.privateInputs.length > 0 && <p>Data read by one run each: {mountSummary(group.privateInputs)}</p>}
      <button type="button" className="primary" onClick={onExpand}>
        Expand all {group.runIds.length} runs in place
      </button>
      <div className="pager">
        <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
          ← Previous
        </button>
        <span>
          runs {page * GROUP_PAGE + 1}–{page * GROUP_PAGE + shown.length} of {group.runIds.length}
        </span>
        <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
          Next →
        </button>
      </div>
      <table className="group-runs">
        <thead>
          <tr>
            <th>status</th>
            <th>run</th>
            <th>updated</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((runId) => {
            const run = runs.get(runId);
            return (
              <tr key={runId}>
                <td>{run ? <RunStatusBadge status={run.status} /> : "…"}</td>
                <td>
                  <a href={href.run(runId)} className="mono">
                    {runId.slice(0, 8)}
                  </a>
                </td>
                <td>{run ? formatLocal(run.updatedAt) : ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

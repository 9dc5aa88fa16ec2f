import { useState } from "react";
import { api } from "../api/client.js";
import { emptyRunFilter, isFilterActive, runListUrl, type RunFilter } from "../api/query.js";
import { FINDABLE_RUN_STATUSES, isFindableRunStatus } from "@knitfab/api/run-statuses";
import { ChipInput, ErrorLine, FilterPanel, RefreshBar } from "../components/common.js";
import { NavList } from "../components/nav-list.js";
import { SinceFilter } from "../components/since-filter.js";
import { useFetch } from "../components/use-fetch.js";
import { formatLocal } from "../format/time.js";
import { hashQuery, href } from "../routing/routes.js";
import { planLabel, RunStatusBadge } from "./run-parts.js";

const ids = (value: string | null) => (value ?? "").split(",").map((v) => v.trim()).filter((v) => v !== "");

/** The run filter can be pre-filled from the URL: `#/runs?plan=…&in=…&out=…&status=…`. */
function initialFilter(): RunFilter {
  const query = hashQuery(window.location.hash);
  return {
    ...emptyRunFilter(),
    planIds: ids(query.get("plan")),
    inputKnitIds: ids(query.get("in")),
    outputKnitIds: ids(query.get("out")),
    statuses: ids(query.get("status")).filter(isFindableRunStatus),
  };
}

export function RunList() {
  const [filter, setFilter] = useState(initialFilter);
  const [auto, setAuto] = useState(true);
  const url = runListUrl(filter);
  const list = useFetch(url, (signal) => api.listRuns(url, signal), { auto, refreshMs: 5_000 });
  const items = [...(list.value ?? [])].reverse();
  const toggleStatus = (status: string, on: boolean) =>
    setFilter({ ...filter, statuses: on ? [...filter.statuses, status] : filter.statuses.filter((s) => s !== status) });
  return (
    <div className="tab-page">
      <FilterPanel active={isFilterActive.run(filter)} onClear={() => setFilter(emptyRunFilter())}>
        <ChipInput label="Plan IDs" values={filter.planIds} onChange={(planIds) => setFilter({ ...filter, planIds })} />
        <ChipInput label="Input Knit IDs" values={filter.inputKnitIds} onChange={(inputKnitIds) => setFilter({ ...filter, inputKnitIds })} />
        <ChipInput label="Output Knit IDs" values={filter.outputKnitIds} onChange={(outputKnitIds) => setFilter({ ...filter, outputKnitIds })} />
        <fieldset className="field statuses">
          <legend>Run status</legend>
          {FINDABLE_RUN_STATUSES.map((status) => (
            <label key={status} className="toggle">
              <input type="checkbox" checked={filter.statuses.includes(status)} onChange={(e) => toggleStatus(status, e.target.checked)} />
              {status}
            </label>
          ))}
        </fieldset>
        <SinceFilter since={filter.since} duration={filter.duration} onChange={(since, duration) => setFilter({ ...filter, since, duration })} />
      </FilterPanel>
      <RefreshBar auto={auto} onAuto={setAuto} seconds={5} onRefresh={list.reload} loading={list.loading} loadedAt={list.loadedAt} count={list.value?.length} />
      <ErrorLine error={list.error} />
      {list.value && items.length === 0 && <p className="muted">No run matches.</p>}
      <NavList label="Runs">
        {items.map((run) => (
          <li key={run.runId} className="item" data-testid="run-item">
            <a className="item-link" href={href.run(run.runId)}>
              <RunStatusBadge status={run.status} /> <strong>{planLabel(run.plan)}</strong> <span className="mono muted">{run.runId}</span>
            </a>
            <span className="muted">updated {formatLocal(run.updatedAt)}</span>
            {run.exit && (
              <span className="muted">
                exit {run.exit.code}
                {run.exit.message ? ` (${run.exit.message})` : ""}
              </span>
            )}
            <span className="item-actions">
              <a href={href.runLineage(run.runId)}>Lineage</a>
            </span>
          </li>
        ))}
      </NavList>
    </div>
  );
}

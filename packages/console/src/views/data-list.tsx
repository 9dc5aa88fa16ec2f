import { useState } from "react";
import { api } from "../api/client.js";
import { dataListUrl, emptyDataFilter, isFilterActive } from "../api/query.js";
import { ChipInput, dataTimestamp, ErrorLine, FilterPanel, RefreshBar, TagList } from "../components/common.js";
import { NavList } from "../components/nav-list.js";
import { SinceFilter } from "../components/since-filter.js";
import { useFetch } from "../components/use-fetch.js";
import { filterTagError, normaliseTag } from "../format/tags.js";
import { href } from "../routing/routes.js";
import { navigate } from "../routing/use-route.js";

export function DataList() {
  const [filter, setFilter] = useState(emptyDataFilter);
  const [auto, setAuto] = useState(true);
  // Two Data picked for comparison; picking a third drops the first picked.
  const [picked, setPicked] = useState<string[]>([]);
  const pick = (knitId: string, on: boolean) => setPicked((current) => (on ? [...current.filter((k) => k !== knitId), knitId].slice(-2) : current.filter((k) => k !== knitId)));
  const url = dataListUrl(filter);
  const list = useFetch(url, (signal) => api.listData(url, signal), { auto, refreshMs: 30_000 });
  // Newest first: the API answers oldest first.
  const items = [...(list.value ?? [])].reverse();
  return (
    <div className="tab-page">
      <FilterPanel active={isFilterActive.data(filter)} onClear={() => setFilter(emptyDataFilter())}>
        <ChipInput
          label="Tags"
          placeholder="key:value"
          values={filter.tags}
          validate={filterTagError}
          normalise={normaliseTag}
          onChange={(tags) => setFilter({ ...filter, tags })}
        />
        <SinceFilter since={filter.since} duration={filter.duration} onChange={(since, duration) => setFilter({ ...filter, since, duration })} />
      </FilterPanel>
      <RefreshBar auto={auto} onAuto={setAuto} seconds={30} onRefresh={list.reload} loading={list.loading} loadedAt={list.loadedAt} count={list.value?.length} />
      <ErrorLine error={list.error} />
      <div className="row compare-pick">
        <button type="button" disabled={picked.length !== 2} onClick={() => navigate(href.dataCompare(picked[0] ?? "", picked[1] ?? ""))}>
          Compare the two picked
        </button>
        <span className="muted">{picked.length === 2 ? "" : `pick two Data to compare (${picked.length} picked)`}</span>
      </div>
      {list.value && items.length === 0 && <p className="muted">No data matches.</p>}
      <NavList label="Data">
        {items.map((data) => (
          <li key={data.knitId} className="item" data-testid="data-item">
            <a className="item-link" href={href.data(data.knitId)}>
              <span className="mono">{data.knitId}</span>
              <span className="muted"> {dataTimestamp(data.tags)}</span>
            </a>
            <TagList tags={data.tags.filter((t) => !t.startsWith("knit#id:") && !t.startsWith("knit#timestamp:"))} />
            <span className="item-actions">
              <label>
                <input type="checkbox" checked={picked.includes(data.knitId)} onChange={(event) => pick(data.knitId, event.target.checked)} aria-label={`pick ${data.knitId} to compare`} /> compare
              </label>{" "}
              <a href={href.dataLineage(data.knitId)}>Lineage</a>
            </span>
          </li>
        ))}
      </NavList>
    </div>
  );
}

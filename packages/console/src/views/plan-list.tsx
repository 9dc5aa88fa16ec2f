import { useState } from "react";
import { api } from "../api/client.js";
import { emptyPlanFilter, isFilterActive, planListUrl, type PlanFilter } from "../api/query.js";
import { ChipInput, ErrorLine, FilterPanel, RefreshBar, TagList } from "../components/common.js";
import { NavList } from "../components/nav-list.js";
import { useDebounced, useFetch } from "../components/use-fetch.js";
import { filterTagError, normaliseTag } from "../format/tags.js";
import { href } from "../routing/routes.js";
import { planLabel } from "./run-parts.js";

export function PlanList() {
  const [filter, setFilter] = useState(emptyPlanFilter);
  const [image, setImage] = useState("");
  const settledImage = useDebounced(image, 500);
  const [auto, setAuto] = useState(true);
  const effective: PlanFilter = { ...filter, image: settledImage };
  const url = planListUrl(effective);
  const list = useFetch(url, (signal) => api.listPlans(url, signal), { auto, refreshMs: 30_000 });
  const clear = () => {
    setFilter(emptyPlanFilter());
    setImage("");
  };
  return (
    <div className="tab-page">
      <FilterPanel active={isFilterActive.plan(effective)} onClear={clear}>
        <div className="field">
          <label htmlFor="plan-active">Active</label>
          <select id="plan-active" value={filter.active} onChange={(e) => setFilter({ ...filter, active: e.target.value as PlanFilter["active"] })}>
            <option value="any">Any</option>
            <option value="true">Active</option>
            <option value="false">Inactive</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="plan-image">Image</label>
          <input id="plan-image" placeholder="repository[:tag]" value={image} onChange={(e) => setImage(e.target.value)} />
        </div>
        <ChipInput label="Tags for inputs" placeholder="key:value" values={filter.inTags} validate={filterTagError} normalise={normaliseTag} onChange={(inTags) => setFilter({ ...filter, inTags })} />
        <ChipInput label="Tags for outputs" placeholder="key:value" values={filter.outTags} validate={filterTagError} normalise={normaliseTag} onChange={(outTags) => setFilter({ ...filter, outTags })} />
      </FilterPanel>
      <RefreshBar auto={auto} onAuto={setAuto} seconds={30} onRefresh={list.reload} loading={list.loading} loadedAt={list.loadedAt} count={list.value?.length} />
      <ErrorLine error={list.error} />
      {list.value && list.value.length === 0 && <p className="muted">No plan matches.</p>}
      <NavList label="Plans">
        {(list.value ?? []).map((plan) => (
          <li key={plan.planId} className="item" data-testid="plan-item">
            <a className="item-link" href={href.plan(plan.planId)}>
              <strong>{planLabel(plan)}</strong> <span className="mono muted">{plan.planId}</span>
            </a>
            <span className={plan.active ? "badge badge-ok" : "badge badge-off"}>{plan.active ? "active" : "inactive"}</span>
            <span className="plan-io">
              {plan.inputs.map((i) => (
                <span key={i.path}>
                  in <span className="mono">{i.path}</span> <TagList tags={i.tags} />
                </span>
              ))}
              {plan.outputs.map((o) => (
                <span key={o.path}>
                  out <span className="mono">{o.path}</span> <TagList tags={o.tags} />
                </span>
              ))}
            </span>
            <span className="item-actions">
              <a href={href.planGraph(plan.planId)}>Plan graph</a>
            </span>
          </li>
        ))}
      </NavList>
    </div>
  );
}

// Query strings for the list endpoints (spec/api.md §2.1, §2.5, §2.12). Pure, so they are unit-tested.

export interface DataFilter {
  tags: string[];
  /** ISO date-time with offset, or "" for none. */
  since: string;
  /** Go duration such as "1h30m", or "" for none; only sent together with `since`. */
  duration: string;
}

export interface PlanFilter {
  active: "any" | "true" | "false";
  image: string;
  inTags: string[];
  outTags: string[];
}

export interface RunFilter {
  planIds: string[];
  inputKnitIds: string[];
  outputKnitIds: string[];
  statuses: string[];
  since: string;
  duration: string;
}

export const emptyDataFilter = (): DataFilter => ({ tags: [], since: "", duration: "" });
export const emptyPlanFilter = (): PlanFilter => ({ active: "any", image: "", inTags: [], outTags: [] });
export const emptyRunFilter = (): RunFilter => ({
  planIds: [],
  inputKnitIds: [],
  outputKnitIds: [],
  statuses: [],
  since: "",
  duration: "",
});

function withQuery(path: string, params: URLSearchParams): string {
  const query = params.toString();
  return query === "" ? path : `${path}?${query}`;
}

function addSince(params: URLSearchParams, since: string, duration: string): void {
  if (since.trim() === "") return;
  params.set("since", since.trim());
  // The server refuses a duration without since, so the console never sends one alone.
  if (duration.trim() !== "") params.set("duration", duration.trim());
}

export function dataListUrl(filter: DataFilter): string {
  const params = new URLSearchParams();
  for (const tag of filter.tags) params.append("tag", tag);
  addSince(params, filter.since, filter.duration);
  return withQuery("/api/data/", params);
}

export function planListUrl(filter: PlanFilter): string {
  const params = new URLSearchParams();
  if (filter.active !== "any") params.set("active", filter.active);
  if (filter.image.trim() !== "") params.set("image", filter.image.trim());
  for (const tag of filter.inTags) params.append("in_tag", tag);
  for (const tag of filter.outTags) params.append("out_tag", tag);
  return withQuery("/api/plans/", params);
}

export function runListUrl(filter: RunFilter): string {
  const params = new URLSearchParams();
  if (filter.planIds.length > 0) params.set("plan", filter.planIds.join(","));
  if (filter.inputKnitIds.length > 0) params.set("knitIdInput", filter.inputKnitIds.join(","));
  if (filter.outputKnitIds.length > 0) params.set("knitIdOutput", filter.outputKnitIds.join(","));
  if (filter.statuses.length > 0) params.set("status", filter.statuses.join(","));
  addSince(params, filter.since, filter.duration);
  return withQuery("/api/runs/", params);
}

export const isFilterActive = {
  data: (f: DataFilter) => f.tags.length > 0 || f.since !== "",
  plan: (f: PlanFilter) => f.active !== "any" || f.image !== "" || f.inTags.length > 0 || f.outTags.length > 0,
  run: (f: RunFilter) =>
    f.planIds.length + f.inputKnitIds.length + f.outputKnitIds.length + f.statuses.length > 0 || f.since !== "",
};

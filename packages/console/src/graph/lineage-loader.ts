// Fetches the details the lineage view is missing, a few requests at a time, until the shown part
// of the graph is fully known. Expanding a node later asks for just the new part.
import type { DataDetail, RunDetail } from "../api/types.js";
import { mapLimit } from "./fetch-limit.js";
import { visibleLineage, type CollapseOptions, type LineageNodeId, type VisibleLineage } from "./lineage.js";

export interface LineageFetchers {
  getData(knitId: string): Promise<DataDetail>;
  getRun(runId: string): Promise<RunDetail>;
}

export interface LineageState {
  data: Map<string, DataDetail>;
  runs: Map<string, RunDetail>;
  /** Ids (knitId or runId) whose fetch failed, with the reason; never asked again in this view. */
  failures: Map<string, string>;
}

export const emptyLineageState = (): LineageState => ({ data: new Map(), runs: new Map(), failures: new Map() });

/**
 * Fetches until every shown node has its details (or failed). Calls `onProgress` after each round so
 * the view can draw what is known so far. Returns the final visible graph.
 */
export async function fillLineage(
  state: LineageState,
  root: LineageNodeId,
  options: CollapseOptions,
  fetchers: LineageFetchers,
  onProgress: (visible: VisibleLineage) => void,
  concurrency = 8,
  isCancelled: () => boolean = () => false,
): Promise<VisibleLineage> {
  for (;;) {
    const visible = visibleLineage(state, root, options);
    const data = visible.missing.data.filter((id) => !state.failures.has(id));
    const runs = visible.missing.runs.filter((id) => !state.failures.has(id));
    onProgress(visible);
    if (data.length + runs.length === 0 || isCancelled()) return visible;
    const jobs: Array<() => Promise<void>> = [
      ...data.map((id) => async () => {
        try {
          state.data.set(id, await fetchers.getData(id));
        } catch (error) {
          state.failures.set(id, error instanceof Error ? error.message : String(error));
        }
      }),
      ...runs.map((id) => async () => {
        try {
          state.runs.set(id, await fetchers.getRun(id));
        } catch (error) {
          state.failures.set(id, error instanceof Error ? error.message : String(error));
        }
      }),
    ];
    await mapLimit(jobs, concurrency, (job) => job());
  }
}

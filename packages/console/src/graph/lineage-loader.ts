// Fetches what the lineage view is missing, until the shown part of the graph is fully known.
// The shape comes first (runs, fetched in batches through the data items they read or write), then
// the data items' own details (tags), which never change the shape. Expanding asks for the new part only.
import type { DataDetail, RunDetail } from "@knitfab/api";
import { producedBy } from "@knitfab/domain/lineage";
import { mapLimit } from "./fetch-limit.js";
import { visibleLineage, type CollapseOptions, type LineageNodeId, type VisibleLineage } from "./lineage.js";

export interface LineageFetchers {
  getData(knitId: string): Promise<DataDetail>;
  getRun(runId: string): Promise<RunDetail>;
  /**
   * Runs reading (`input`) or producing (`output`) any of these data items, in one request
   * (`GET /api/runs?knitIdInput=…` / `knitIdOutput=…`); saves one request per node on wide graphs.
   */
  findRuns?(side: "input" | "output", knitIds: string[]): Promise<RunDetail[]>;
  /** These data items' details in one request (`GET /api/data?knitId=…`); saves one request per data item. */
  findData?(knitIds: string[]): Promise<DataDetail[]>;
}

export interface LineageState {
  data: Map<string, DataDetail>;
  runs: Map<string, RunDetail>;
  explored: Set<string>;
  /** Ids (knitId or runId) whose fetch failed, with the reason; never asked again in this view. */
  failures: Map<string, string>;
}

export const emptyLineageState = (): LineageState => ({ data: new Map(), runs: new Map(), explored: new Set(), failures: new Map() });

/** knitIds per list request: 40 UUIDs keep the URL under 2 kB. */
const BATCH = 40;
/** Data details are fetched in slices of this size, reporting progress after each. */
const DETAIL_SLICE = 100;

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

function batches(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let at = 0; at < ids.length; at += BATCH) out.push(ids.slice(at, at + BATCH));
  return out;
}

/** All runs reading or writing these data items, through list requests; marks them explored. */
async function exploreData(state: LineageState, knitIds: string[], findRuns: NonNullable<LineageFetchers["findRuns"]>, concurrency: number) {
  // Every data item has exactly one producing run: skip asking for it when it is already known.
  const produced = new Set([...state.runs.values()].flatMap(producedBy));
  const requests = [
    ...batches(knitIds).map((ids) => ({ side: "input" as const, ids })),
    ...batches(knitIds.filter((id) => !produced.has(id))).map((ids) => ({ side: "output" as const, ids })),
  ];
  const failed = new Set<string>();
  await mapLimit(requests, concurrency, async ({ side, ids }) => {
    try {
      for (const run of await findRuns(side, ids)) state.runs.set(run.runId, run);
    } catch (error) {
      for (const id of ids) {
        failed.add(id);
        state.failures.set(id, reason(error));
      }
    }
  });
  for (const id of knitIds) if (!failed.has(id)) state.explored.add(id);
}

async function fetchEach<T>(ids: string[], concurrency: number, state: LineageState, fetch: (id: string) => Promise<T>, store: (value: T) => void) {
  await mapLimit(ids, concurrency, async (id) => {
    try {
      store(await fetch(id));
    } catch (error) {
      state.failures.set(id, reason(error));
    }
  });
}

async function fetchDataInBatches(state: LineageState, knitIds: string[], findData: NonNullable<LineageFetchers["findData"]>, concurrency: number) {
  await mapLimit(batches(knitIds), concurrency, async (ids) => {
    try {
      for (const data of await findData(ids)) state.data.set(data.knitId, data);
      for (const id of ids) if (!state.data.has(id)) state.failures.set(id, `data ${id} not found`);
    } catch (error) {
      for (const id of ids) state.failures.set(id, reason(error));
    }
  });
}

/**
 * Fetches until every shown node is known (or failed). `onProgress` gets each intermediate graph and
 * whether its shape is final (only tags of data items may still arrive). Returns the final graph.
 */
export async function fillLineage(
  state: LineageState,
  root: LineageNodeId,
  options: CollapseOptions,
  fetchers: LineageFetchers,
  onProgress: (visible: VisibleLineage, shapeFinal: boolean) => void,
  concurrency = 8,
  isCancelled: () => boolean = () => false,
  /** Data items the view will not draw (folded into a group): their details are not fetched. */
  undrawn: (visible: VisibleLineage) => ReadonlySet<string> = () => new Set(),
): Promise<VisibleLineage> {
  for (;;) {
    const visible = visibleLineage(state, root, options);
    const notFailed = (id: string) => !state.failures.has(id);
    const structure = visible.missing.structure.filter(notFailed);
    const runs = visible.missing.runs.filter(notFailed);
    const skipped = undrawn(visible);
    const details = visible.missing.data.filter((id) => notFailed(id) && !skipped.has(id));
    const shapeFinal = structure.length + runs.length === 0;
    onProgress(visible, shapeFinal);
    if (isCancelled() || (shapeFinal && details.length === 0)) return visible;

    if (!shapeFinal) {
      if (fetchers.findRuns && structure.length > 0) {
        await exploreData(state, structure, fetchers.findRuns, concurrency);
      } else {
        await fetchEach(structure, concurrency, state, (id) => fetchers.getData(id), (d) => state.data.set(d.knitId, d));
      }
      const stillMissing = runs.filter((id) => !state.runs.has(id));
      await fetchEach(stillMissing, concurrency, state, (id) => fetchers.getRun(id), (r) => state.runs.set(r.runId, r));
      continue;
    }
    // The shape is final: fill in the data items' tags, a slice at a time.
    if (fetchers.findData) await fetchDataInBatches(state, details.slice(0, BATCH * concurrency), fetchers.findData, concurrency);
    else await fetchEach(details.slice(0, DETAIL_SLICE), concurrency, state, (id) => fetchers.getData(id), (d) => state.data.set(d.knitId, d));
  }
}

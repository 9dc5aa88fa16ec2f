// Hash routes: every view has its own URL (`#/data`, `#/data/<knitId>`, `#/runs/<runId>/lineage`, ...).

export type Tab = "data" | "plans" | "runs";

export type Route =
  | { tab: Tab; view: "list" }
  | { tab: Tab; view: "detail"; id: string }
  | { tab: "data" | "runs"; view: "lineage"; id: string }
  | { tab: "plans"; view: "graph"; id: string }
  /** Two Data side by side: `#/data/<left>/compare/<right>`. */
  | { tab: "data"; view: "compare"; id: string; other: string }
  /** A hash that cannot be read (a malformed %-escape): shown as "not found", under its tab if it names one. */
  | { tab: Tab; view: "notFound"; hash: string };

const TABS: readonly Tab[] = ["data", "plans", "runs"];

const isTab = (value: string | undefined): value is Tab => TABS.includes(value as Tab);

/**
 * Parses `location.hash`; anything unknown lands on the Data list, like the reference's `/` redirect,
 * and a hash that does not decode (`#/data/%E0%A4%A`) is "not found". Never throws.
 */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").split("?")[0] ?? "";
  const encoded = path.split("/").filter((part) => part !== "");
  const parts = decodeAll(encoded);
  if (parts === undefined) return { tab: isTab(encoded[0]) ? encoded[0] : "data", view: "notFound", hash };
  const [tab, id, sub, other] = parts;
  if (!isTab(tab)) return { tab: "data", view: "list" };
  if (id === undefined) return { tab, view: "list" };
  if (sub === undefined) return { tab, view: "detail", id };
  if (sub === "lineage" && (tab === "data" || tab === "runs")) return { tab, view: "lineage", id };
  if (sub === "graph" && tab === "plans") return { tab, view: "graph", id };
  if (sub === "compare" && tab === "data" && other !== undefined) return { tab, view: "compare", id, other };
  return { tab, view: "detail", id };
}

/** The decoded path segments, or undefined when one is not valid percent-encoded UTF-8. */
function decodeAll(segments: readonly string[]): string[] | undefined {
  try {
    return segments.map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

export function formatRoute(route: Route): string {
  if (route.view === "notFound") return route.hash;
  if (route.view === "list") return `#/${route.tab}`;
  const base = `#/${route.tab}/${encodeURIComponent(route.id)}`;
  if (route.view === "detail") return base;
  if (route.view === "compare") return `${base}/compare/${encodeURIComponent(route.other)}`;
  return `${base}/${route.view}`;
}

export const href = {
  list: (tab: Tab) => formatRoute({ tab, view: "list" }),
  data: (knitId: string) => formatRoute({ tab: "data", view: "detail", id: knitId }),
  plan: (planId: string) => formatRoute({ tab: "plans", view: "detail", id: planId }),
  run: (runId: string) => formatRoute({ tab: "runs", view: "detail", id: runId }),
  dataLineage: (knitId: string) => formatRoute({ tab: "data", view: "lineage", id: knitId }),
  runLineage: (runId: string) => formatRoute({ tab: "runs", view: "lineage", id: runId }),
  planGraph: (planId: string) => formatRoute({ tab: "plans", view: "graph", id: planId }),
  dataCompare: (left: string, right: string) => formatRoute({ tab: "data", view: "compare", id: left, other: right }),
};

/** Query parameters written after the route in the hash (`#/runs?plan=a,b`), used to pre-fill filters. */
export function hashQuery(hash: string): URLSearchParams {
  const at = hash.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
}

/** The API's JSON shapes (api.md §1.1), as the CLI reads them. Tags are "key:value" strings. */

export interface PlanSummary {
  planId: string;
  image?: string;
  entrypoint?: string[];
  args?: string[];
  name?: string;
  annotations?: string[];
}

export interface Mountpoint {
  path: string;
  tags: string[];
}

export interface Upstream {
  plan: PlanSummary;
  mountpoint?: Mountpoint;
  log?: { tags: string[] };
}

export interface Downstream {
  plan: PlanSummary;
  mountpoint: Mountpoint;
}

export interface PlanDetail extends PlanSummary {
  inputs: (Mountpoint & { upstreams: Upstream[] })[];
  outputs: (Mountpoint & { downstreams: Downstream[] })[];
  log?: { tags: string[]; downstreams: Downstream[] };
  active: boolean;
  on_node?: { may?: string[]; prefer?: string[]; must?: string[] };
  resources?: Record<string, string>;
  service_account?: string;
}

export type RunStatus =
  | "deactivated" | "waiting" | "ready" | "starting" | "running"
  | "completing" | "aborting" | "done" | "failed" | "invalidated";

export interface RunSummary {
  runId: string;
  status: RunStatus;
  updatedAt: string;
  exit?: { code: number; message: string };
  plan: PlanSummary;
}

export interface Assignment extends Mountpoint {
  knitId: string;
}

export interface RunDetail extends RunSummary {
  inputs: Assignment[];
  outputs: Assignment[];
  log: { tags: string[]; knitId: string } | null;
}

export interface DataDetail {
  knitId: string;
  tags: string[];
  upstream: {
    mountpoint?: Mountpoint;
    log?: { tags: string[] };
    run: RunSummary;
  };
  downstreams: { mountpoint: Mountpoint; run: RunSummary }[];
  nomination: (Mountpoint & { plan: PlanSummary })[];
}

/** The plan document `knit plan apply` sends (PlanSpec). */
export interface PlanSpec {
  annotations?: string[];
  image: string;
  entrypoint?: string[];
  args?: string[];
  inputs: Mountpoint[];
  outputs: Mountpoint[];
  log?: { tags: string[] };
  on_node?: { may?: string[]; prefer?: string[]; must?: string[] };
  resources?: Record<string, string>;
  service_account?: string;
  active?: boolean;
}

/** A Data's files at a path (our extension `GET /api/x/data/{knitId}/files`). */
export interface DataFileList {
  knitId: string;
  path: string;
  type: "file" | "dir";
  entries: { name: string; path: string; type: "file" | "dir" | "link"; size: number; target?: string }[];
  totals: { files: number; dirs: number; links: number; bytes: number };
  truncated: boolean;
}

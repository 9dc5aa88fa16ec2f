// JSON shapes of the Knitfab API (spec/api.md §1.1). Field names are exact wire names.

export type RunStatus =
  | "deactivated"
  | "waiting"
  | "ready"
  | "starting"
  | "running"
  | "completing"
  | "aborting"
  | "done"
  | "failed"
  | "invalidated";

/** Statuses accepted by the `status` filter of `GET /api/runs` (invalidated is refused there). */
export const FILTERABLE_RUN_STATUSES: readonly RunStatus[] = [
  "deactivated",
  "waiting",
  "ready",
  "starting",
  "running",
  "completing",
  "aborting",
  "done",
  "failed",
];

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

export interface PlanUpstream {
  plan: PlanSummary;
  mountpoint?: Mountpoint;
  log?: { tags: string[] };
}

export interface PlanDownstream {
  plan: PlanSummary;
  mountpoint: Mountpoint;
}

export interface PlanDetail extends PlanSummary {
  inputs: Array<Mountpoint & { upstreams: PlanUpstream[] }>;
  outputs: Array<Mountpoint & { downstreams: PlanDownstream[] }>;
  log?: { tags: string[]; downstreams: PlanDownstream[] };
  active: boolean;
  on_node?: { may?: string[]; prefer?: string[]; must?: string[] };
  resources?: Record<string, string>;
  service_account?: string;
}

export interface RunSummary {
  runId: string;
  status: RunStatus;
  updatedAt: string;
  exit?: { code: number; message: string };
  plan: PlanSummary;
}

export interface RunAssignment {
  path: string;
  tags: string[];
  knitId: string;
}

export interface RunDetail extends RunSummary {
  inputs: RunAssignment[];
  outputs: RunAssignment[];
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
  downstreams: Array<{ mountpoint: Mountpoint; run: RunSummary }>;
  nomination: Array<{ path: string; tags: string[]; plan: PlanSummary }>;
}

export interface TagChange {
  add: string[];
  remove: string[];
  remove_key?: string[];
}

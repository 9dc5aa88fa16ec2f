import type { RunStatus } from "./run-statuses.js";

/**
 * What the presenters read: plans, runs and data as the server's database loads them. Described
 * here, beside the shapes they become, so the contract does not depend on the database layer.
 */

export interface TagRecord {
  key: string;
  value: string;
}

export interface ImageRef {
  repository: string;
  tag: string;
}

export interface PlanSummaryRecord {
  planId: string;
  image: ImageRef | null;
  pseudoName: string | null;
  entrypoint: string[];
  args: string[];
  annotations: { key: string; value: string }[];
}

export interface MountpointRecord {
  /** input_id or output_id */
  id: number;
  path: string;
  /** user tags, plus the knit#id / knit#timestamp pins of an input */
  tags: TagRecord[];
}

export interface PlanLinkRecord {
  plan: PlanSummaryRecord;
  mountpoint: MountpointRecord;
  isLog: boolean;
}

export type OnNodeMode = "may" | "prefer" | "must";

export interface PlanRecord extends PlanSummaryRecord {
  active: boolean;
  inputs: (MountpointRecord & { upstreams: PlanLinkRecord[] })[];
  outputs: (MountpointRecord & { downstreams: PlanLinkRecord[] })[];
  log: (MountpointRecord & { downstreams: PlanLinkRecord[] }) | null;
  onNode: { mode: OnNodeMode; key: string; value: string }[];
  resources: Record<string, string>;
  serviceAccount: string | null;
}

export interface RunSummaryRecord {
  runId: string;
  status: RunStatus;
  updatedAt: Date;
  exit: { code: number; message: string } | null;
  plan: PlanSummaryRecord;
}

export interface RunRecord extends RunSummaryRecord {
  inputs: { mountpoint: MountpointRecord; knitId: string }[];
  outputs: { mountpoint: MountpointRecord; knitId: string }[];
  log: { mountpoint: MountpointRecord; knitId: string } | null;
}

export interface DataRecord {
  knitId: string;
  userTags: TagRecord[];
  timestamp: Date | null;
  upstream: { run: RunSummaryRecord; mountpoint: MountpointRecord; isLog: boolean };
  downstreams: { run: RunSummaryRecord; mountpoint: MountpointRecord }[];
  nominations: { plan: PlanSummaryRecord; mountpoint: MountpointRecord }[];
}

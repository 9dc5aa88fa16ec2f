/**
 * What the database tells about plans, runs and data. The shapes are the contract's (the presenters
 * there turn them into wire JSON), so they are described once, in @knitfab/api.
 */
export type {
  DataRecord,
  ImageRef,
  MountpointRecord,
  PlanLinkRecord,
  PlanRecord,
  PlanSummaryRecord,
  RunRecord,
  RunSummaryRecord,
} from "@knitfab/api";

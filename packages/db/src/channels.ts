/** NOTIFY channels: each names the work that became available, so only the loops concerned wake up. */
export const CHANNEL = {
  /** nominations were marked updated: the projection loop has work */
  projection: "knitfab_projection",
  /** a run changed status: the loop owning the new status has work; payload is the status */
  runStatus: "knitfab_run_status",
  /** garbage rows were added */
  garbage: "knitfab_garbage",
  /** an API token was revoked; payload is its id */
  apiTokens: "knitfab_api_tokens",
} as const;

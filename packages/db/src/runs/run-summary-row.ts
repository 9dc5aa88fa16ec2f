import { sql } from "kysely";
import type { RunStatus } from "@knitfab/domain";
import type { PlanSummaryRecord, RunSummaryRecord } from "../records.js";

/** The columns of a run summary, as selected by `RUN_SUMMARY_COLUMNS` (a query joining `run r` and `run_exit e`). */
export interface RunSummaryRow {
  run_id: string;
  run_plan_id: string;
  status: RunStatus;
  updated_at: Date;
  exit_code: number | null;
  exit_message: string | null;
}

/** Selected from `run r LEFT JOIN run_exit e ON e.run_id = r.run_id`, so that a query listing runs needs no second one. */
export const RUN_SUMMARY_COLUMNS = sql`r.run_id, r.plan_id AS run_plan_id, r.status::text AS status, r.updated_at, e.code AS exit_code, e.message AS exit_message`;

/** A run summary from its row and its plan's summary. */
export function runSummaryOf(row: RunSummaryRow, plan: PlanSummaryRecord): RunSummaryRecord {
  return {
    runId: row.run_id,
    status: row.status,
    updatedAt: row.updated_at,
    exit: row.exit_code === null ? null : { code: row.exit_code, message: row.exit_message ?? "" },
    plan,
  };
}

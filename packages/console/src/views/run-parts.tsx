import type { PlanSummary, RunStatus } from "@knitfab/api";

// Plain symbols every system font has (emoji fonts are often missing on servers and CI machines).
const STATUS_ICON: Record<RunStatus, string> = {
  deactivated: "‖",
  waiting: "○",
  ready: "○",
  starting: "◔",
  running: "▶",
  completing: "✔",
  done: "✔",
  aborting: "✖",
  failed: "✖",
  invalidated: "⊘",
};

export function RunStatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`status status-${status}`} data-status={status}>
      <span aria-hidden="true">{STATUS_ICON[status]}</span> {status}
    </span>
  );
}

/** "image:tag" for image plans, the pseudo plan's name otherwise (knit#uploaded, knit#imported). */
export function planLabel(plan: PlanSummary): string {
  return plan.image !== undefined ? plan.image : plan.name;
}

/** Statuses whose log can be read (the reference shows the log button for these). */
export const LOG_READABLE: readonly RunStatus[] = ["starting", "running", "aborting", "completing", "done", "failed"];

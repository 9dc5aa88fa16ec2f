import { useState } from "react";
import { api } from "../api/client.js";
import type { RunDetail } from "@knitfab/api";
import { isTerminalRunStatus } from "@knitfab/api/run-statuses";
import { ErrorLine, RefreshBar, Section, TagList } from "../components/common.js";
import { ConfirmButton } from "../components/confirm.js";
import { useFetch } from "../components/use-fetch.js";
import { formatLocal } from "../format/time.js";
import { href } from "../routing/routes.js";
import { navigate } from "../routing/use-route.js";
import { RunLog } from "./run-log.js";
import { LOG_READABLE, planLabel, RunStatusBadge } from "./run-parts.js";
import { RunDurations } from "./run-timeline.js";

export function RunDetailView({ runId }: { runId: string }) {
  const [auto, setAuto] = useState(true);
  const detail = useFetch(`run:${runId}`, (signal) => api.getRun(runId, signal), { auto, refreshMs: 5_000 });
  return (
    <div className="detail">
      <p>
        <a href={href.list("runs")}>← Runs</a>
      </p>
      <h2>
        Run <span className="mono">{runId}</span>
      </h2>
      <RefreshBar auto={auto} onAuto={setAuto} seconds={5} onRefresh={detail.reload} loading={detail.loading} loadedAt={detail.loadedAt} />
      <ErrorLine error={detail.error} />
      {detail.value && <RunBody run={detail.value} onChanged={detail.reload} />}
    </div>
  );
}

export function RunBody({ run, onChanged }: { run: RunDetail; onChanged?: () => void }) {
  const pseudo = run.plan.image === undefined;
  const finished = isTerminalRunStatus(run.status);
  return (
    <>
      {onChanged && <RunActions run={run} onChanged={onChanged} pseudo={pseudo} finished={finished} />}
      <dl className="props">
        <dt>Status</dt>
        <dd>
          <RunStatusBadge status={run.status} />
        </dd>
        <dt>Plan</dt>
        <dd>
          <a href={href.plan(run.plan.planId)}>{planLabel(run.plan)}</a>
        </dd>
        <dt>Updated at</dt>
        <dd>{formatLocal(run.updatedAt)}</dd>
        <RunDurations runId={run.runId} updatedAt={run.updatedAt} />
        <dt>Exit</dt>
        <dd data-testid="run-exit">{run.exit ? `${run.exit.code}${run.exit.message ? ` — ${run.exit.message}` : ""}` : "—"}</dd>
      </dl>
      <Section title="Inputs">
        {run.inputs.length === 0 && <p className="muted">None.</p>}
        <ul>
          {run.inputs.map((input) => (
            <li key={input.path}>
              <span className="mono">{input.path}</span> ←{" "}
              <a className="mono" href={href.data(input.knitId)}>
                {input.knitId}
              </a>{" "}
              <TagList tags={input.tags} />
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Outputs">
        {run.outputs.length === 0 && <p className="muted">None.</p>}
        <ul>
          {run.outputs.map((output) => (
            <li key={output.path}>
              <span className="mono">{output.path}</span> →{" "}
              <a className="mono" href={href.data(output.knitId)}>
                {output.knitId}
              </a>{" "}
              <TagList tags={output.tags} />
            </li>
          ))}
          {run.log && (
            <li>
              (log) →{" "}
              <a className="mono" href={href.data(run.log.knitId)}>
                {run.log.knitId}
              </a>{" "}
              <TagList tags={run.log.tags} />
            </li>
          )}
        </ul>
      </Section>
      {run.log && (
        <Section title="Log">
          {LOG_READABLE.includes(run.status) ? <RunLog runId={run.runId} status={run.status} /> : <p className="muted">The log is available once the run starts.</p>}
        </Section>
      )}
    </>
  );
}

function RunActions({ run, onChanged, pseudo, finished }: { run: RunDetail; onChanged: () => void; pseudo: boolean; finished: boolean }) {
  const stoppable = ["deactivated", "waiting", "ready", "starting", "running"].includes(run.status);
  const keepable = ["ready", "starting", "running"].includes(run.status);
  return (
    <div className="row actions">
      <a className="button" href={href.runLineage(run.runId)}>
        Lineage graph
      </a>
      {!pseudo && (
        <>
          <ConfirmButton
            label="Stop"
            danger
            disabled={!stoppable}
            question="Stop this run as failed (abort)? Its outputs will not be kept."
            onConfirm={async () => {
              await api.abortRun(run.runId);
              onChanged();
            }}
          />
          <ConfirmButton
            label="Stop and keep outputs"
            disabled={!keepable}
            question="Stop this run now and keep what it has written so far as its outputs (tear off)?"
            onConfirm={async () => {
              await api.tearoffRun(run.runId);
              onChanged();
            }}
          />
          <ConfirmButton
            label="Retry"
            disabled={!finished || run.status === "invalidated"}
            question="Retry this run? Its outputs are discarded and it runs again with the same inputs."
            onConfirm={async () => {
              await api.retryRun(run.runId);
              onChanged();
            }}
          />
        </>
      )}
      <ConfirmButton
        label="Delete"
        danger
        disabled={run.status === "invalidated"}
        question="Delete this run and its outputs? This cannot be undone."
        onConfirm={async () => {
          await api.deleteRun(run.runId);
          navigate(href.list("runs"));
        }}
      />
    </div>
  );
}

import { useState } from "react";
import { api } from "../api/client.js";
import type { PlanDetail, Downstream, Upstream } from "@knitfab/api";
import { ErrorLine, RefreshBar, Section, TagList } from "../components/common.js";
import { ConfirmButton } from "../components/confirm.js";
import { useFetch } from "../components/use-fetch.js";
import { href } from "../routing/routes.js";
import { planLabel } from "./run-parts.js";
import { PlanTimeline } from "./run-timeline.js";

export function PlanDetailView({ planId }: { planId: string }) {
  const [auto, setAuto] = useState(true);
  const detail = useFetch(`plan:${planId}`, (signal) => api.getPlan(planId, signal), { auto, refreshMs: 30_000 });
  return (
    <div className="detail">
      <p>
        <a href={href.list("plans")}>← Plans</a>
      </p>
      <h2>
        Plan <span className="mono">{planId}</span>
      </h2>
      <RefreshBar auto={auto} onAuto={setAuto} seconds={30} onRefresh={detail.reload} loading={detail.loading} loadedAt={detail.loadedAt} />
      <ErrorLine error={detail.error} />
      {detail.value && <PlanBody plan={detail.value} onChanged={detail.reload} />}
      {detail.value && (
        <Section title="Run timeline">
          <PlanTimeline planId={planId} label={planLabel(detail.value)} />
        </Section>
      )}
    </div>
  );
}

function Links({ items }: { items: Array<Upstream | Downstream> }) {
  if (items.length === 0) return null;
  return (
    <ul className="links">
      {items.map((link) => (
        <li key={`${link.plan.planId}:${link.mountpoint?.path ?? "log"}`}>
          <a href={href.plan(link.plan.planId)}>{planLabel(link.plan)}</a>{" "}
          <span className="mono">{link.mountpoint ? link.mountpoint.path : "(log)"}</span>
        </li>
      ))}
    </ul>
  );
}

export function PlanBody({ plan, onChanged }: { plan: PlanDetail; onChanged?: () => void }) {
  const hasImage = plan.image !== undefined;
  return (
    <>
      <div className="row actions">
        <span className={plan.active ? "badge badge-ok" : "badge badge-off"}>{plan.active ? "active" : "inactive"}</span>
        {hasImage && onChanged && (
          <ConfirmButton
            label={plan.active ? "Deactivate" : "Activate"}
            question={
              plan.active
                ? "Deactivate this plan? Its waiting runs are held (deactivated) until it is activated again."
                : "Activate this plan? Its deactivated runs start waiting to run."
            }
            onConfirm={async () => {
              await api.setPlanActive(plan.planId, !plan.active);
              onChanged();
            }}
          />
        )}
        <a className="button" href={href.planGraph(plan.planId)}>
          Plan graph
        </a>
        <a className="button" href={`${href.list("runs")}?plan=${encodeURIComponent(plan.planId)}`}>
          Runs
        </a>
      </div>
      <dl className="props">
        <dt>{hasImage ? "Image" : "Name"}</dt>
        <dd className="mono">{planLabel(plan)}</dd>
        {plan.entrypoint && (
          <>
            <dt>Entrypoint</dt>
            <dd className="mono">{JSON.stringify(plan.entrypoint)}</dd>
          </>
        )}
        {plan.args && (
          <>
            <dt>Args</dt>
            <dd className="mono">{JSON.stringify(plan.args)}</dd>
          </>
        )}
        <dt>Resources</dt>
        <dd className="mono">
          {plan.resources
            ? Object.entries(plan.resources)
                .map(([k, v]) => `${k}=${v}`)
                .join(", ")
            : "—"}
        </dd>
        <dt>On node</dt>
        <dd className="mono">
          {plan.on_node
            ? (["may", "prefer", "must"] as const)
                .filter((mode) => plan.on_node?.[mode]?.length)
                .map((mode) => `${mode}: ${plan.on_node?.[mode]?.join(", ")}`)
                .join("; ")
            : "—"}
        </dd>
        <dt>Service account</dt>
        <dd className="mono">{plan.service_account ?? "—"}</dd>
        <dt>Annotations</dt>
        <dd className="mono">{plan.annotations?.join(", ") ?? "—"}</dd>
      </dl>
      <Section title="Inputs">
        {plan.inputs.length === 0 && <p className="muted">None.</p>}
        {plan.inputs.map((input) => (
          <div key={input.path} className="mount">
            <span className="mono">{input.path}</span> <TagList tags={input.tags} />
            {input.upstreams.length > 0 && <div className="muted">from</div>}
            <Links items={input.upstreams} />
          </div>
        ))}
      </Section>
      <Section title="Outputs">
        {plan.outputs.length === 0 && <p className="muted">None.</p>}
        {plan.outputs.map((output) => (
          <div key={output.path} className="mount">
            <span className="mono">{output.path}</span> <TagList tags={output.tags} />
            {output.downstreams.length > 0 && <div className="muted">to</div>}
            <Links items={output.downstreams} />
          </div>
        ))}
      </Section>
      <Section title="Log">
        {plan.log ? (
          <div className="mount">
            <TagList tags={plan.log.tags} />
            <Links items={plan.log.downstreams} />
          </div>
        ) : (
          <p className="muted">This plan keeps no log.</p>
        )}
      </Section>
    </>
  );
}

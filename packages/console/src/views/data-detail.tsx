import { useState } from "react";
import { api } from "../api/client.js";
import type { DataDetail } from "@knitfab/api";
import { ChipInput, ErrorLine, RefreshBar, Section, TagChip, TagList } from "../components/common.js";
import { useFetch } from "../components/use-fetch.js";
import { displayOrder, isSystemTag, normaliseTag, userTagError } from "../format/tags.js";
import { formatLocal } from "../format/time.js";
import { href } from "../routing/routes.js";
import { FilesSection } from "./data-files.js";
import { CompareWith } from "./compare-with.js";
import { planLabel, RunStatusBadge } from "./run-parts.js";

export function DataDetailView({ knitId }: { knitId: string }) {
  const [auto, setAuto] = useState(true);
  const detail = useFetch(`data:${knitId}`, (signal) => api.getData(knitId, signal), { auto, refreshMs: 30_000 });
  const data = detail.value;
  return (
    <div className="detail">
      <p>
        <a href={href.list("data")}>← Data</a>
      </p>
      <h2>
        Data <span className="mono">{knitId}</span>
      </h2>
      <RefreshBar auto={auto} onAuto={setAuto} seconds={30} onRefresh={detail.reload} loading={detail.loading} loadedAt={detail.loadedAt} />
      <ErrorLine error={detail.error} />
      {data && <DataBody data={data} onChanged={detail.reload} />}
    </div>
  );
}

function DataBody({ data, onChanged }: { data: DataDetail; onChanged: () => void }) {
  return (
    <>
      <div className="row actions">
        <a className="button" href={api.dataDownloadUrl(data.knitId)} download={`${data.knitId}.tar.gz`}>
          Download
        </a>
        <a className="button" href={href.dataLineage(data.knitId)}>
          Lineage graph
        </a>
        <CompareWith knitId={data.knitId} />
      </div>
      <TagEditor data={data} onChanged={onChanged} />
      <FilesSection knitId={data.knitId} status={data.upstream.run.status} />
      <Section title="Upstream run">
        <p>
          <a href={href.run(data.upstream.run.runId)} className="mono">
            {data.upstream.run.runId}
          </a>{" "}
          <RunStatusBadge status={data.upstream.run.status} /> {planLabel(data.upstream.run.plan)} —{" "}
          {data.upstream.mountpoint ? (
            <>
              output <span className="mono">{data.upstream.mountpoint.path}</span>
            </>
          ) : (
            "log"
          )}{" "}
          <span className="muted">updated {formatLocal(data.upstream.run.updatedAt)}</span>
        </p>
      </Section>
      <Section title="Downstream runs">
        {data.downstreams.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <ul>
            {data.downstreams.map((down) => (
              <li key={`${down.run.runId}:${down.mountpoint.path}`}>
                <a href={href.run(down.run.runId)} className="mono">
                  {down.run.runId}
                </a>{" "}
                <RunStatusBadge status={down.run.status} /> {planLabel(down.run.plan)} at <span className="mono">{down.mountpoint.path}</span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Nominations">
        {data.nomination.length === 0 ? (
          <p className="muted">No plan input takes this data.</p>
        ) : (
          <ul>
            {data.nomination.map((n) => (
              <li key={`${n.plan.planId}:${n.path}`}>
                <a href={href.plan(n.plan.planId)}>{planLabel(n.plan)}</a> input <span className="mono">{n.path}</span> <TagList tags={n.tags} />
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

/** Tags of one data item: user tags can be removed and added; system tags are shown read-only. */
function TagEditor({ data, onChanged }: { data: DataDetail; onChanged: () => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const change = async (add: string[], remove: string[]) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.changeTags(data.knitId, { add, remove });
      onChanged();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  const tags = displayOrder(data.tags);
  return (
    <Section title="Tags">
      <div className="chips" aria-busy={busy}>
        {tags.map((tag) => (
          <TagChip key={tag} tag={tag} onRemove={isSystemTag(tag) || busy ? undefined : () => void change([], [tag])} />
        ))}
      </div>
      <ChipInput label="Add a tag" placeholder="key:value" values={[]} validate={userTagError} normalise={normaliseTag} onChange={(added) => void change(added, [])} />
      <ErrorLine error={error} />
    </Section>
  );
}

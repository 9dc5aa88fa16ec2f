import { createPresenters, type DataRecord } from "@knitfab/api";
import { KNIT_ID, KNIT_TIMESTAMP, KNIT_TRANSIENT, compareBytes, formatTimestamp, normalizeTags, transientOf, type Tag } from "@knitfab/domain";

/** The data's tags: user tags plus the derived system tags (spec/model.md §3.2). */
export function dataTags(data: DataRecord): Tag[] {
  const tags: Tag[] = [...data.userTags, { key: KNIT_ID, value: data.knitId }];
  if (data.timestamp) tags.push({ key: KNIT_TIMESTAMP, value: formatTimestamp(data.timestamp) });
  const transient = transientOf(data.upstream.run.status);
  if (transient) tags.push({ key: KNIT_TRANSIENT, value: transient });
  return tags;
}

/**
 * Records → wire JSON with the domain's rules for tags and timestamps: the contract's presenters
 * (@knitfab/api), shared by the HTTP API and the lifecycle hooks.
 */
export const { planSummaryJson, planDetailJson, runSummaryJson, runDetailJson, dataDetailJson } = createPresenters({
  normalizeTags,
  compareBytes,
  formatTimestamp,
  dataTags,
});

import { badRequest } from "./errors.js";
import { KNIT_ID, KNIT_TIMESTAMP, KNIT_TRANSIENT, isSystemKey, isTransientValue, normalizeTags, type Tag, type TransientValue } from "./tags.js";
import { STORABLE_RANGE, isStorableInstant, parseTimestamp } from "./timestamp.js";

/** A `GET /api/data` tag filter after interpretation; `empty` means the answer is `200 []`. */
export type DataTagQuery =
  | { kind: "empty" }
  | { kind: "query"; userTags: Tag[]; knitId?: string; timestamp?: Date; transient?: TransientValue };

/** A plan `in_tag` / `out_tag` filter after interpretation; `empty` means the answer is `200 []`. */
export type PlanTagQuery = { kind: "empty" } | { kind: "query"; userTags: Tag[]; knitId?: string; timestamp?: Date };

function distinctValues(tags: readonly Tag[], key: string): string[] {
  return [...new Set(tags.filter((t) => t.key === key).map((t) => t.value))];
}

/**
 * api.md §2.1: user tags are ANDed; `knit#id`, `knit#timestamp` and `knit#transient` select on the
 * derived system tags. Contradictions (two ids, two instants, both transient values, an unknown
 * system key or transient value) can match nothing and yield `empty`. An unparseable
 * `knit#timestamp` is a 400 (the reference fails with 500).
 */
export function interpretDataTagQuery(tags: readonly Tag[]): DataTagQuery {
  const normal = normalizeTags(tags);
  const query: DataTagQuery = { kind: "query", userTags: normal.filter((t) => !isSystemKey(t.key)) };
  for (const tag of normal) {
    if (isSystemKey(tag.key) && ![KNIT_ID, KNIT_TIMESTAMP, KNIT_TRANSIENT].includes(tag.key)) return { kind: "empty" };
  }
  const ids = distinctValues(normal, KNIT_ID);
  if (ids.length > 1) return { kind: "empty" };
  if (ids[0] !== undefined) query.knitId = ids[0];

  const stamps = distinctValues(normal, KNIT_TIMESTAMP);
  if (stamps.length > 1) return { kind: "empty" };
  if (stamps[0] !== undefined) {
    const instant = parseTimestamp(stamps[0]);
    if (!instant) {
      throw badRequest(`"knit#timestamp:${stamps[0]}": the value should be an RFC3339 date-time such as 2024-04-01T12:00:00+00:00`);
    }
    if (!isStorableInstant(instant)) throw badRequest(`"knit#timestamp:${stamps[0]}": the value should be a date-time ${STORABLE_RANGE}`);
    query.timestamp = instant;
  }

  const transients = distinctValues(normal, KNIT_TRANSIENT);
  if (transients.length > 1) return { kind: "empty" };
  const transient = transients[0];
  if (transient !== undefined) {
    if (!isTransientValue(transient)) return { kind: "empty" };
    query.transient = transient;
  }
  return query;
}

/**
 * api.md §2.5: `in_tag` may pin `knit#id` / `knit#timestamp` (inputs pinning that value match);
 * `out_tag` accepts user tags only. Anything that can match no mountpoint yields `empty`.
 */
export function interpretPlanTagQuery(tags: readonly Tag[], side: "in" | "out"): PlanTagQuery {
  const normal = normalizeTags(tags);
  const query: PlanTagQuery = { kind: "query", userTags: normal.filter((t) => !isSystemKey(t.key)) };
  const system = normal.filter((t) => isSystemKey(t.key));
  if (system.length === 0) return query;
  if (side === "out") return { kind: "empty" };
  if (system.some((t) => t.key !== KNIT_ID && t.key !== KNIT_TIMESTAMP)) return { kind: "empty" };

  const ids = distinctValues(system, KNIT_ID);
  if (ids.length > 1) return { kind: "empty" };
  if (ids[0] !== undefined) query.knitId = ids[0];

  const stamps = distinctValues(system, KNIT_TIMESTAMP);
  if (stamps.length > 1) return { kind: "empty" };
  if (stamps[0] !== undefined) {
    const instant = parseTimestamp(stamps[0]);
    // no plan can pin an instant it could not store
    if (!instant || !isStorableInstant(instant)) return { kind: "empty" };
    query.timestamp = instant;
  }
  return query;
}

import { STORABLE_RANGE, badRequest, isStorableInstant, parseGoDuration, parseTag, parseTimestamp, preview, type Tag } from "@knitfab/domain";

/** Query-string helpers shared by the find endpoints. */

export function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** `a,b,,c` → ["a", "b", "c"]: the comma-separated lists of the find endpoints. */
export const commaList = (value: string | undefined): string[] =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** `advice` is the reference's wording for the endpoint (data: the default; plans: "query specification is incorrect"). */
export function parseQueryTags(values: string[], advice = "each tag should be formatted as KEY:VALUE"): Tag[] {
  return values.map((text) => {
    if (!text.includes(":")) throw badRequest(advice, new Error(`"${text}" has no ":"`));
    return parseTag(text);
  });
}

/** `since` and `duration` → [since, until). Duration without since is a 400 (the reference drops the connection). */
export function parseTimeWindow(since: string | undefined, duration: string | undefined): { since?: Date; until?: Date } {
  if (since === undefined) {
    if (duration !== undefined) throw badRequest('"duration" needs "since": give both, e.g. since=2024-01-01T00:00:00Z&duration=24h');
    return {};
  }
  // first advice lines as the reference words them, then an example
  const start = parseTimestamp(since);
  if (!start) throw badRequest(`"since" should be a RFC3339 date-time format\ne.g. 2024-01-01T00:00:00+00:00 (got "${preview(since)}")`);
  if (!isStorableInstant(start)) throw badRequest(`"since" should be a date-time ${STORABLE_RANGE} (got "${preview(since)}")`);
  if (duration === undefined) return { since: start };
  const milliseconds = parseGoDuration(duration);
  if (milliseconds === undefined) throw badRequest(`"duration" should be a Go duration format\ne.g. 30m, 1h or 2h45m (got "${preview(duration)}")`);
  const until = new Date(start.getTime() + milliseconds);
  if (!isStorableInstant(until)) {
    throw badRequest(`"since" + "duration" should end ${STORABLE_RANGE}; "${preview(duration)}" after "${preview(since)}" does not: give a shorter duration`);
  }
  return { since: start, until };
}

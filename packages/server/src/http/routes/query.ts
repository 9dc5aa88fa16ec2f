import { STORABLE_RANGE, badRequest, isStorableInstant, parseGoDuration, parseTag, parseTimestamp, preview, type Tag } from "@knitfab/domain";

/** Query-string helpers shared by the find endpoints. */

export function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function parseQueryTags(values: string[]): Tag[] {
  return values.map((text) => {
    if (!text.includes(":")) throw badRequest("each tag should be formatted as KEY:VALUE", new Error(`"${text}" has no ":"`));
    return parseTag(text);
  });
}

/** `since` and `duration` → [since, until). Duration without since is a 400 (the reference drops the connection). */
export function parseTimeWindow(since: string | undefined, duration: string | undefined): { since?: Date; until?: Date } {
  if (since === undefined) {
    if (duration !== undefined) throw badRequest('"duration" needs "since": give both, e.g. since=2024-01-01T00:00:00Z&duration=24h');
    return {};
  }
  const start = parseTimestamp(since);
  if (!start) throw badRequest(`"since" should be an RFC3339 date-time, e.g. 2024-01-01T00:00:00+00:00 (got "${preview(since)}")`);
  if (!isStorableInstant(start)) throw badRequest(`"since" should be a date-time ${STORABLE_RANGE} (got "${since}")`);
  if (duration === undefined) return { since: start };
  const milliseconds = parseGoDuration(duration);
  if (milliseconds === undefined) throw badRequest(`"duration" should be a duration like 30m, 1h or 2h45m (got "${preview(duration)}")`);
  const until = new Date(start.getTime() + milliseconds);
  if (!isStorableInstant(until)) {
    throw badRequest(`"since" + "duration" should end ${STORABLE_RANGE}; "${duration}" after "${since}" does not: give a shorter duration`);
  }
  return { since: start, until };
}

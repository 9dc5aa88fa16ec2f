/**
 * Timestamps on the wire: the reference renders them with Go's layout
 * `2006-01-02T15:04:05.999-07:00` in UTC, and accepts RFC3339 / RFC3339Nano on input.
 */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/;

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `2024-03-06T09:25:16.586+00:00`: UTC, milliseconds without trailing zeros, never `Z`. */
export function formatTimestamp(date: Date): string {
  const ms = date.getUTCMilliseconds();
  const fraction = ms === 0 ? "" : "." + pad(ms, 3).replace(/0+$/, "");
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    `${fraction}+00:00`
  );
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The instant of an RFC3339 text in microseconds since the epoch (the resolution at which the
 * reference compares `knit#timestamp` tags), or undefined when the text is not RFC3339.
 * Digits beyond microseconds are truncated.
 */
export function parseTimestampMicros(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== "Z") {
    const offHour = Number(m[10]);
    const offMinute = Number(m[11]);
    if (offHour > 23 || offMinute > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offHour * 60 + offMinute);
  }
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, 0);
  const micros = BigInt((m[7] ?? "").padEnd(6, "0").slice(0, 6) || "0");
  return (BigInt(base.getTime()) - BigInt(offsetMinutes) * 60_000n) * 1000n + micros;
}

/** RFC3339 / RFC3339Nano with `Z` or a numeric offset; anything else is undefined. Sub-millisecond digits are truncated. */
export function parseTimestamp(text: string): Date | undefined {
  const micros = parseTimestampMicros(text);
  if (micros === undefined) return undefined;
  // floor division keeps pre-1970 instants truncating toward the earlier millisecond consistently
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  return new Date(Number(ms));
}

/**
 * Instants the database can be asked about: years 1 to 9999 (UTC). PostgreSQL has no year 0, and
 * the drivers send later years in a form it does not read; outside this range is a 400.
 */
const EARLIEST_STORABLE = Date.parse("0001-01-01T00:00:00.000Z");
const LATEST_STORABLE = Date.parse("9999-12-31T23:59:59.999Z");
export const STORABLE_RANGE = "from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z";

export function isStorableInstant(date: Date): boolean {
  const time = date.getTime();
  return Number.isFinite(time) && time >= EARLIEST_STORABLE && time <= LATEST_STORABLE;
}

// Date-time helpers for filters and display. Timestamps are read by the domain's RFC 3339 rule.
import { parseTimestamp } from "@knitfab/domain/timestamp";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Local "yyyy-MM-dd HH:mm:ss" for display; the raw value if it does not parse. */
export function formatLocal(iso: string): string {
  const date = parseTimestamp(iso);
  if (date === undefined) return iso;
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** Offset of a date in "+09:00" form (the API's timestamps never use "Z"). */
function offsetOf(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * Turns the value of an `<input type="datetime-local">` ("2024-04-01T12:00" or with seconds) into an
 * RFC3339 date-time with the browser's offset, as the `since` query wants. Returns null when invalid.
 */
export function localInputToIso(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? "0"));
  if (Number.isNaN(date.getTime()) || date.getMonth() !== Number(mo) - 1) return null;
  return `${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}${offsetOf(date)}`;
}

export interface DurationParts {
  hours: number;
  minutes: number;
  seconds: number;
}

/** Go duration text ("1h30m", "45s") for the `duration` query, or "" when all parts are zero. */
export function formatDuration(parts: DurationParts): string {
  const clean = (n: number) => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
  const h = clean(parts.hours);
  const m = clean(parts.minutes);
  const s = clean(parts.seconds);
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${s > 0 ? `${s}s` : ""}`;
}

import { UsageError, ValueError } from "./errors.js";

/** A tag as the CLI sends it in tag-change requests. */
export interface Tag {
  key: string;
  value: string;
}

export const SYSTEM_TAG_PREFIX = "knit#";

const STRICT_RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses `KEY:VALUE` (split at the first `:`, both sides trimmed), with the reference's checks on system tags. */
export function parseTag(text: string): Tag {
  const colon = text.indexOf(":");
  if (colon < 0) {
    throw new ValueError(`tag '${text}' is not formatted as KEY:VALUE`);
  }
  const key = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (key === "knit#timestamp" && !(STRICT_RFC3339.test(value) && !Number.isNaN(Date.parse(value)))) {
    throw new ValueError(`tag '${text}': knit#timestamp needs an RFC3339 date-time such as 2024-01-02T03:04:05+09:00`);
  }
  if (key === "knit#transient" && value !== "processing" && value !== "failed") {
    throw new ValueError(`tag '${text}': knit#transient is either 'processing' or 'failed'`);
  }
  return { key, value };
}

export function tagString(tag: Tag): string {
  return `${tag.key}:${tag.value}`;
}

export function isSystemTag(tag: Tag): boolean {
  return tag.key.startsWith(SYSTEM_TAG_PREFIX);
}

/** Rejects system tags where a user may only change user tags (push, tag): a usage error, exit 2. */
export function requireUserTags(tags: Tag[], flag: string): void {
  const system = tags.find(isSystemTag);
  if (system) {
    throw new UsageError(`${flag} ${tagString(system)}: tags with the key prefix '${SYSTEM_TAG_PREFIX}' are managed by Knitfab and cannot be set by hand`);
  }
}

const LOOSE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(\.\d+)?)?)?)?([Zz]|[+-]\d{2}:\d{2})?$/;

/**
 * Parses the loose RFC3339 of `--since`: `YYYY-mm-dd[(T| )HH[:MM[:SS[.frac]]]][Z|±hh:mm]`;
 * missing parts are 0 and a missing zone means local time.
 */
export function parseLooseTime(text: string): Date {
  const m = LOOSE_TIME.exec(text.trim());
  if (!m) {
    throw new ValueError(`'${text}' is not a date-time: use YYYY-mm-dd[THH[:MM[:SS[.frac]]]][Z|±hh:mm], e.g. 2024-05-01T12:00:00+09:00`);
  }
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m;
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms] as const;
  let date: Date;
  if (zone === undefined) {
    date = new Date(...parts);
  } else {
    const utc = Date.UTC(...parts);
    const offsetMinutes = /^[Zz]$/.test(zone) ? 0 : (zone.startsWith("-") ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    date = new Date(utc - offsetMinutes * 60_000);
  }
  if (Number.isNaN(date.getTime()) || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    throw new ValueError(`'${text}' is not a valid date-time`);
  }
  return date;
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Validates a Go duration (`300ms`, `1.5h`, `2h45m`) and returns its length in milliseconds. */
export function parseGoDuration(text: string): number {
  const body = text.replace(/^[+-]/, "");
  if (body === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (body === "" || consumed !== body.length) {
    throw new ValueError(`'${text}' is not a duration: use a number with a unit among ns, us, ms, s, m, h (e.g. 90m, 1h30m)`);
  }
  return text.startsWith("-") ? -total : total;
}

/** Depth of a graph walk: a positive integer or `all` (unlimited, returned as Infinity). */
export function parseDepth(text: string): number {
  if (text.trim().toLowerCase() === "all") return Number.POSITIVE_INFINITY;
  if (!/^\d+$/.test(text.trim())) {
    throw new ValueError(`'${text}' is not a depth: give a positive number or 'all'`);
  }
  return Number(text.trim());
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

export function isQuantity(text: string): boolean {
  return QUANTITY.test(text);
}

/** Parses `TYPE=QUANTITY` for `plan resource --set`. */
export function parseResourceSetting(text: string): [string, string] {
  const eq = text.indexOf("=");
  const type = eq < 0 ? "" : text.slice(0, eq).trim();
  const quantity = eq < 0 ? "" : text.slice(eq + 1).trim();
  if (!type || !isQuantity(quantity)) {
    throw new ValueError(`'${text}' is not TYPE=QUANTITY: give e.g. cpu=500m or memory=2Gi`);
  }
  return [type, quantity];
}

/** Parses `KEY=VALUE` for annotations (both sides trimmed); a value without `=` is a usage error. */
export function parseAnnotation(text: string, flag: string): string {
  const eq = text.indexOf("=");
  if (eq < 0) {
    throw new UsageError(`${flag} ${text}: an annotation is KEY=VALUE`);
  }
  return `${text.slice(0, eq).trim()}=${text.slice(eq + 1).trim()}`;
}

/** Tri-state choice of `--transient` and `--active`. */
export type Tristate = "both" | "yes" | "no";

export function parseTristate(text: string, flag: string): Tristate {
  const v = text.trim().toLowerCase();
  if (v === "both") return "both";
  if (v === "yes" || v === "true") return "yes";
  if (v === "no" || v === "false") return "no";
  throw new UsageError(`${flag} ${text}: choose one of both, yes, true, no, false`);
}

export const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true, on: true, yes: true, "1": true,
  false: false, off: false, no: false, "0": false,
};

/** Collector for repeatable commander options. */
export function collect<T>(parse: (text: string) => T) {
  return (text: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(text)];
}

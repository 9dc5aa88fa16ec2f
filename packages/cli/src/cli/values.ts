import { parseGoDuration as goDurationMillis } from "@knitfab/domain/duration";
import { InputError } from "@knitfab/domain/errors";
import { formatAnnotation, parseAnnotation as parseAnnotationText } from "@knitfab/domain/labels";
import { isQuantity } from "@knitfab/domain/quantity";
import { SYSTEM_TAG_PREFIX, formatTag, isSystemKey, splitTag, systemTagValueProblem, type Tag } from "@knitfab/domain/tags";
import { UsageError, ValueError } from "./errors.js";

export type { Tag };

/**
 * Parses `KEY:VALUE` with the domain's rules (split at the first `:`, both sides trimmed; system
 * tags' values checked), as a ValueError that quotes the flag's text.
 */
export function parseTag(text: string): Tag {
  const tag = splitTag(text);
  if (!tag) {
    throw new ValueError(`tag '${text}' is not formatted as KEY:VALUE`);
  }
  const problem = systemTagValueProblem(tag);
  if (problem) {
    throw new ValueError(`tag '${text}': ${problem}`);
  }
  return tag;
}

export function isSystemTag(tag: Tag): boolean {
  return isSystemKey(tag.key);
}

/** Rejects system tags where a user may only change user tags (push, tag): a usage error, exit 2. */
export function requireUserTags(tags: Tag[], flag: string): void {
  const system = tags.find(isSystemTag);
  if (system) {
    throw new UsageError(`${flag} ${formatTag(system)}: tags with the key prefix '${SYSTEM_TAG_PREFIX}' are managed by Knitfab and cannot be set by hand`);
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

/** Validates a Go duration (`300ms`, `1.5h`, `2h45m`) and returns its length in milliseconds. */
export function parseGoDuration(text: string): number {
  const millis = goDurationMillis(text);
  if (millis === undefined) {
    throw new ValueError(`'${text}' is not a duration: use a number with a unit among ns, us, ms, s, m, h (e.g. 90m, 1h30m)`);
  }
  return millis;
}

/** Depth of a graph walk: a positive integer or `all` (unlimited, returned as Infinity). */
export function parseDepth(text: string): number {
  if (text.trim().toLowerCase() === "all") return Number.POSITIVE_INFINITY;
  if (!/^\d+$/.test(text.trim())) {
    throw new ValueError(`'${text}' is not a depth: give a positive number or 'all'`);
  }
  return Number(text.trim());
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

/** Parses `KEY=VALUE` for annotations with the domain's rules (both sides trimmed); a bad one is a usage error. */
export function parseAnnotation(text: string, flag: string): string {
  try {
    return formatAnnotation(parseAnnotationText(text));
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(`${flag} ${text}: ${error.reason}; ${error.advice ?? ""}`.trimEnd());
    throw error;
  }
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

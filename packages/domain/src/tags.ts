import { InputError, badRequest } from "./errors.js";
import { INPUT_LIMITS, checkText, preview } from "./limits.js";
import { formatTimestamp, parseTimestamp, parseTimestampMicros } from "./timestamp.js";
import { compareBytes } from "./utf8.js";

/** A tag on data or on a plan's mountpoint. Textual form `key:value`. */
export type Tag = { key: string; value: string };

export const SYSTEM_TAG_PREFIX = "knit#";
export const KNIT_ID = "knit#id";
export const KNIT_TIMESTAMP = "knit#timestamp";
export const KNIT_TRANSIENT = "knit#transient";

export const TAG_FORMAT_ADVICE = "each tag should be formatted as KEY:VALUE";

/** The values `knit#transient` can have. */
export const TRANSIENT_VALUES = ["processing", "failed"] as const;
export type TransientValue = (typeof TRANSIENT_VALUES)[number];

export function isTransientValue(value: string): value is TransientValue {
  return (TRANSIENT_VALUES as readonly string[]).includes(value);
}

/**
 * `key:value` split at the first `:` (a value may hold more), both sides trimmed; undefined when
 * there is no `:`. Only the shape: limits are checkTag's, system tags' values systemTagValueProblem's.
 */
export function splitTag(text: string): Tag | undefined {
  const at = text.indexOf(":");
  if (at < 0) return undefined;
  return { key: text.slice(0, at).trim(), value: text.slice(at + 1).trim() };
}

/** `key:value`, split at the first `:`, both sides trimmed. No `:` is a 400 with advice. */
export function parseTag(text: string): Tag {
  const tag = splitTag(text);
  if (!tag) throw badRequest(TAG_FORMAT_ADVICE);
  return checkTag(tag);
}

/**
 * Why a system tag's value can never match (a `knit#timestamp` that is not RFC 3339, a
 * `knit#transient` other than processing or failed), or undefined. Clients check it before asking;
 * the server's queries treat such a tag as matching nothing (data-query.ts).
 */
export function systemTagValueProblem(tag: Tag): string | undefined {
  if (tag.key === KNIT_TIMESTAMP && parseTimestamp(tag.value) === undefined) {
    return `${KNIT_TIMESTAMP} needs an RFC3339 date-time such as 2024-01-02T03:04:05+09:00`;
  }
  if (tag.key === KNIT_TRANSIENT && !isTransientValue(tag.value)) return `${KNIT_TRANSIENT} is either 'processing' or 'failed'`;
  return undefined;
}

/** The tag, or a 400 when its key or value is too long or holds a NUL (see INPUT_LIMITS). */
export function checkTag(tag: Tag): Tag {
  checkText(`tag key "${preview(tag.key)}"`, tag.key, INPUT_LIMITS.tagKeyBytes);
  checkText(`value of tag "${preview(tag.key)}"`, tag.value, INPUT_LIMITS.tagValueBytes);
  return tag;
}

/** A tag from JSON: the string form (trimmed) or a `{key, value}` object (kept as is). */
export function tagFromJson(value: unknown): Tag {
  if (typeof value === "string") {
    if (!value.includes(":")) throw new InputError(`tag ${JSON.stringify(preview(value))} has no ":"`, { advice: TAG_FORMAT_ADVICE });
    return parseTag(value);
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const { key, value: v } = value as Record<string, unknown>;
    if (typeof key === "string" && typeof v === "string") return checkTag({ key, value: v });
  }
  throw new InputError("a tag should be a string \"KEY:VALUE\" or an object {\"key\": ..., \"value\": ...}", {
    advice: TAG_FORMAT_ADVICE,
  });
}

export function formatTag(tag: Tag): string {
  return `${tag.key}:${tag.value}`;
}

export function isSystemKey(key: string): boolean {
  return key.startsWith(SYSTEM_TAG_PREFIX);
}

export function compareTags(a: Tag, b: Tag): number {
  return compareBytes(a.key, b.key) || compareBytes(a.value, b.value);
}

/** Two tags are equal when key and value match; `knit#timestamp` values compare as instants (µs). */
export function tagEqual(a: Tag, b: Tag): boolean {
  if (a.key !== b.key) return false;
  if (a.value === b.value) return true;
  if (a.key !== KNIT_TIMESTAMP) return false;
  const ta = parseTimestampMicros(a.value);
  const tb = parseTimestampMicros(b.value);
  return ta !== undefined && tb !== undefined && ta === tb;
}

/** Dedupe (first kept; same-instant timestamps are duplicates) and sort by key then value in byte order. */
export function normalizeTags(tags: readonly Tag[]): Tag[] {
  const seen = new Set<string>();
  const out: Tag[] = [];
  for (const tag of tags) {
    let identity = `${tag.key}\u0000${tag.value}`;
    if (tag.key === KNIT_TIMESTAMP) {
      const micros = parseTimestampMicros(tag.value);
      if (micros !== undefined) identity = `${tag.key}\u0000@${micros}`;
    }
    if (seen.has(identity)) continue;
    seen.add(identity);
    out.push({ key: tag.key, value: tag.value });
  }
  return out.sort(compareTags);
}

/** Set equality of two tag lists (order and duplicates do not matter). */
export function tagsEqual(a: readonly Tag[], b: readonly Tag[]): boolean {
  const na = normalizeTags(a);
  const nb = normalizeTags(b);
  if (na.length !== nb.length) return false;
  return na.every((tag) => nb.some((other) => tagEqual(tag, other)));
}

/** Text used for hashing: `key:value`, with `knit#timestamp` values re-rendered in UTC. */
export function canonicalTagText(tag: Tag): string {
  if (tag.key === KNIT_TIMESTAMP) {
    const date = parseTimestamp(tag.value);
    if (date) return formatTag({ key: tag.key, value: formatTimestamp(date) });
  }
  return formatTag(tag);
}

// Tags are "key:value" strings on the wire (spec/api.md §1); values may themselves contain ":".
// What a tag may be is the domain's rule (@knitfab/domain/tags), the same the server and knit apply.
import { InputError } from "@knitfab/domain/errors";
import { KNIT_TIMESTAMP, SYSTEM_TAG_PREFIX, checkTag, formatTag, isSystemKey, splitTag as parseTagText, systemTagValueProblem, type Tag } from "@knitfab/domain/tags";

export type { Tag };

/** A tag from the server, split for display at the first ":" as it is (stored tags are already checked). */
export function splitTag(tag: string): Tag {
  const at = tag.indexOf(":");
  if (at < 0) return { key: tag, value: "" };
  return { key: tag.slice(0, at), value: tag.slice(at + 1) };
}

export const isSystemTag = (tag: string) => isSystemKey(tag);

/** The typed text as a tag (trimmed, as the server reads it), or an error text for the user. */
function typedTag(text: string): Tag | string {
  const tag = parseTagText(text);
  if (!tag) return `"${text}" is not a tag: write it as key:value`;
  if (tag.key === "") return `"${text}" has an empty key: write it as key:value`;
  try {
    return checkTag(tag);
  } catch (error) {
    if (error instanceof InputError) return `${error.reason}: ${error.advice ?? ""}`.replace(/: $/, "");
    throw error;
  }
}

/** Validates a tag typed by a user: "key:value", key not empty and not reserved. Returns an error text or null. */
export function userTagError(text: string): string | null {
  const tag = typedTag(text);
  if (typeof tag === "string") return tag;
  if (isSystemKey(tag.key)) return `"${tag.key}" is reserved for the system: choose a key not starting with ${SYSTEM_TAG_PREFIX}`;
  return null;
}

/** Normalises a typed tag the way the server does (trim key and value). */
export function normaliseTag(text: string): string {
  const tag = parseTagText(text);
  return tag ? formatTag(tag) : text;
}

/** Tag filters may name system tags (knit#id, knit#timestamp, knit#transient), with values those can have. */
export function filterTagError(text: string): string | null {
  const tag = typedTag(text);
  if (typeof tag === "string") return tag;
  const problem = systemTagValueProblem(tag);
  return problem === undefined ? null : `"${text}": ${problem}`;
}

/** The user tags first (sorted as the server does), then the system ones, for display. */
export function displayOrder(tags: readonly string[]): string[] {
  const user = tags.filter((t) => !isSystemTag(t));
  const system = tags.filter(isSystemTag);
  return [...user, ...system];
}

export function timestampOf(tags: readonly string[]): string | undefined {
  const tag = tags.find((t) => t.startsWith(`${KNIT_TIMESTAMP}:`));
  return tag === undefined ? undefined : splitTag(tag).value;
}

// Tags are "key:value" strings on the wire (spec/api.md §1); values may themselves contain ":".

export interface Tag {
  key: string;
  value: string;
}

export function splitTag(tag: string): Tag {
  const at = tag.indexOf(":");
  if (at < 0) return { key: tag, value: "" };
  return { key: tag.slice(0, at), value: tag.slice(at + 1) };
}

export const isSystemTag = (tag: string) => tag.startsWith("knit#");

/** Validates a tag typed by a user: "key:value", key not empty and not reserved. Returns an error text or null. */
export function userTagError(text: string): string | null {
  const at = text.indexOf(":");
  if (at < 0) return `"${text}" is not a tag: write it as key:value`;
  const key = text.slice(0, at).trim();
  if (key === "") return `"${text}" has an empty key: write it as key:value`;
  if (key.startsWith("knit#")) return `"${key}" is reserved for the system: choose a key not starting with knit#`;
  return null;
}

/** Normalises a typed tag the way the server does (trim key and value). */
export function normaliseTag(text: string): string {
  const { key, value } = splitTag(text);
  return `${key.trim()}:${value.trim()}`;
}

/** Tag filters may name system tags (knit#id, knit#timestamp, knit#transient) but must contain ":". */
export function filterTagError(text: string): string | null {
  if (!text.includes(":")) return `"${text}" is not a tag: write it as key:value`;
  if (text.slice(0, text.indexOf(":")).trim() === "") return `"${text}" has an empty key`;
  return null;
}

/** The user tags first (sorted as the server does), then the system ones, for display. */
export function displayOrder(tags: readonly string[]): string[] {
  const user = tags.filter((t) => !isSystemTag(t));
  const system = tags.filter(isSystemTag);
  return [...user, ...system];
}

export function timestampOf(tags: readonly string[]): string | undefined {
  const tag = tags.find((t) => t.startsWith("knit#timestamp:"));
  return tag === undefined ? undefined : splitTag(tag).value;
}

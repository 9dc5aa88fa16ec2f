import { InputError } from "./errors.js";
import { utf8Length } from "./utf8.js";

/**
 * Size limits of user-given text, enforced where requests are parsed so that oversized or
 * unstorable values are a 400 that says what to change, never a database error (an index row
 * over PostgreSQL's ~2.7 kB, a NUL byte PostgreSQL text cannot hold, a value longer than its
 * column). Lengths are in UTF-8 bytes. README.md ("Input limits") lists them for users.
 */
export const INPUT_LIMITS = {
  /** key of a tag (on Data, on a plan's mountpoint, in a query) */
  tagKeyBytes: 256,
  /** value of a tag: key and value together stay well under the database's index row limit */
  tagValueBytes: 2048,
  /** key of a plan annotation (as a Kubernetes annotation key with prefix) */
  annotationKeyBytes: 253,
  annotationValueBytes: 2048,
  /** a mountpoint path (Linux's PATH_MAX) */
  pathBytes: 4096,
  /** one item of a plan's entrypoint or args */
  argumentBytes: 65536,
  /** a plan's service account (a Kubernetes name) */
  serviceAccountBytes: 63,
  /** an image's repository, registry included */
  imageRepositoryBytes: 512,
  /** an image's tag (version) */
  imageTagBytes: 128,
  /** the name of a resource type in a plan's resources (cpu, memory, nvidia.com/gpu, ...) */
  resourceTypeBytes: 1024,
  /** tags in one list: a mountpoint's or the log's tags, a tag change's add/remove/remove_key */
  tagsPerList: 1000,
  /** inputs, and outputs, of one plan */
  mountpointsPerPlan: 100,
  /** annotations of one plan, and in one annotation change */
  annotationsPerList: 1000,
  /** items of a plan's entrypoint, and of its args */
  argumentsPerList: 1000,
} as const;

/**
 * `text` as a field value, or a 400 naming `what` when it holds a NUL character (PostgreSQL text
 * cannot store one) or is longer than `maxBytes` in UTF-8.
 */
export function checkText(what: string, text: string, maxBytes: number): string {
  if (text.includes("\0")) {
    throw new InputError(`${what} contains a NUL character (\\u0000)`, { advice: "remove the NUL character; text fields cannot hold it" });
  }
  const bytes = utf8Length(text);
  if (bytes > maxBytes) {
    throw new InputError(`${what} is too long: ${bytes} bytes (UTF-8), at most ${maxBytes} are allowed`, {
      advice: `shorten it to at most ${maxBytes} bytes`,
    });
  }
  return text;
}

/** `items` as a list, or a 400 naming `what` when it has more than `max` entries. */
export function checkCount<T>(what: string, items: readonly T[], max: number): readonly T[] {
  if (items.length > max) {
    throw new InputError(`too many ${what}: ${items.length}, at most ${max} are allowed`, { advice: `give at most ${max} ${what}` });
  }
  return items;
}

/** The start of a user-given text for an error message: enough to recognise it, never megabytes. */
export function preview(text: string): string {
  const printable = text.replace(/\0/g, "\\0");
  return printable.length <= 60 ? printable : `${printable.slice(0, 60)}...`;
}

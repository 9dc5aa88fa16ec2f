import { InputError } from "./errors.js";
import { INPUT_LIMITS, checkText, preview } from "./limits.js";

/** A plan annotation or a node label: `key=value`. */
export type KeyValue = { key: string; value: string };

/**
 * Kubernetes label key accepted for on_node (model.md §4.1): optional DNS-subdomain prefix and `/`,
 * then a name of alphanumerics and `-` (the reference does not allow `.`/`_` in the name part).
 */
export const LABEL_KEY_PATTERN =
  /^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*\/)?[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

/** Kubernetes label value accepted for on_node (non-empty). */
export const LABEL_VALUE_PATTERN = /^[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

/** The longest DNS-subdomain prefix of a label key. */
export const LABEL_KEY_PREFIX_MAX = 253;

function splitAtEquals(text: string, what: string): KeyValue {
  const at = text.indexOf("=");
  if (at < 0) {
    throw new InputError(`${what} ${JSON.stringify(preview(text))} has no "="`, { advice: `each ${what} should be formatted as KEY=VALUE` });
  }
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

/** `key=value` split at the first `=`, both sides trimmed; too long or with NUL is a 400 (INPUT_LIMITS). */
export function parseAnnotation(text: string): KeyValue {
  const { key, value } = splitAtEquals(text, "annotation");
  const trimmedKey = checkText(`annotation key "${preview(key.trim())}"`, key.trim(), INPUT_LIMITS.annotationKeyBytes);
  return { key: trimmedKey, value: checkText(`value of annotation "${preview(trimmedKey)}"`, value.trim(), INPUT_LIMITS.annotationValueBytes) };
}

export function formatAnnotation(annotation: KeyValue): string {
  return `${annotation.key}=${annotation.value}`;
}

/** `key=value` split at the first `=`, not trimmed (validation rejects spaces later). */
export function parseOnNodeLabel(text: string): KeyValue {
  return splitAtEquals(text, "on_node label");
}

export function formatOnNodeLabel(label: KeyValue): string {
  return `${label.key}=${label.value}`;
}

/** Why a label key is unacceptable for on_node, or undefined when it is fine. */
export function labelKeyProblem(key: string): string | undefined {
  if (key === "") return "key is empty";
  if (!LABEL_KEY_PATTERN.test(key)) return `bad pattern: ${key}`;
  const slash = key.indexOf("/");
  if (slash >= 0 && slash > LABEL_KEY_PREFIX_MAX) return `too long (> 253 chars) prefix: ${key}`;
  return undefined;
}

/** Why a label value is unacceptable for on_node, or undefined when it is fine. */
export function labelValueProblem(value: string): string | undefined {
  if (value === "") return "value is empty";
  if (!LABEL_VALUE_PATTERN.test(value)) return `bad pattern: ${value}`;
  return undefined;
}

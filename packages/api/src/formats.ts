import { Type } from "@sinclair/typebox";

/**
 * The string formats of the wire (spec/api.md §1). Response schemas use the exact forms the server
 * renders; request schemas stay looser where the server must answer a malformed value with the
 * reference's own error text instead of a generic schema error.
 */

export const UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/** knitId, runId and planId: lower-case UUIDs. */
export const Id = Type.String({ pattern: UUID_PATTERN, description: "a lower-case UUID" });

/**
 * `2006-01-02T15:04:05.999-07:00`: milliseconds with trailing zeros trimmed (or none), a numeric
 * offset and never `Z`.
 */
export const TIMESTAMP_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,2}[1-9])?[+-][0-9]{2}:[0-9]{2}$";
export const Timestamp = Type.String({ pattern: TIMESTAMP_PATTERN, description: "e.g. 2024-03-06T09:25:16.586+00:00 (never Z)" });

/** A tag in a response: one string `key:value`, split at the first `:` (the value may hold more). */
export const TagString = Type.String({ pattern: ":", description: '"key:value", split at the first ":"' });

/**
 * A tag in a request: the string form, or an object (kept untrimmed). The string is not checked
 * here: the server answers one without ":" with the reference's advice.
 */
export const TagInput = Type.Union([Type.String(), Type.Object({ key: Type.String(), value: Type.String() })], {
  description: 'a tag: "key:value", or {"key": ..., "value": ...}',
});

/** Plan annotations: `key=value`, split at the first `=`. */
export const AnnotationString = Type.String({ pattern: "=", description: '"key=value", split at the first "="' });

/** on_node labels as plan validation accepts them (spec/model.md §4.1): a Kubernetes label key, `=`, a label value. */
export const ON_NODE_LABEL_PATTERN =
  "^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*/)?[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?" +
  "=[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$";
export const OnNodeLabelString = Type.String({ pattern: ON_NODE_LABEL_PATTERN, description: '"key=value" (a Kubernetes node label)' });

/** `repository:tag` as the server renders an image: the tag is always there (`latest` when none was given). */
export const ImageString = Type.String({ pattern: "^[^\\s@]+:[A-Za-z0-9_.-]{1,128}$", description: '"repository:tag"' });

/** A Kubernetes quantity in canonical form (`500m`, `1`, `1Gi`, `1e3`). */
export const CanonicalQuantity = Type.String({ pattern: "^-?[0-9]+([numkMGTPE]|[KMGTPE]i|e-?[0-9]+)?$", description: "a canonical Kubernetes quantity" });

/** An absolute path inside the worker's container. */
export const MountPath = Type.String({ pattern: "^/", description: "an absolute path" });

/** The names of the pseudo plans that own uploads and imports. */
export const PSEUDO_PLAN_NAMES = ["knit#uploaded", "knit#imported"] as const;
export type PseudoPlanName = (typeof PSEUDO_PLAN_NAMES)[number];

import { InputError, badRequest } from "./errors.js";
import { parseImage } from "./image.js";
import { labelKeyProblem, labelValueProblem, parseAnnotation, parseOnNodeLabel } from "./labels.js";
import { checkPlanSpecLimits } from "./plan-spec-limits.js";
import { canonicalQuantity, resourceQuantityProblem } from "./quantity.js";
import {
  KNIT_ID,
  KNIT_TIMESTAMP,
  KNIT_TRANSIENT,
  canonicalTagText,
  formatTag,
  isSystemKey,
  normalizeTags,
  tagEqual,
  tagFromJson,
  tagsEqual,
  type Tag,
} from "./tags.js";
import { compareBytes } from "./utf8.js";
import { STORABLE_RANGE, isStorableInstant, parseTimestamp } from "./timestamp.js";

export type OnNodeMode = "may" | "prefer" | "must";
export const ON_NODE_MODES: readonly OnNodeMode[] = ["may", "prefer", "must"];

export type OnNode = { mode: OnNodeMode; key: string; value: string };
export type MountpointSpec = { path: string; tags: Tag[] };

/** A plan definition as applied by a user (the request side of POST /api/plans). */
export type PlanSpec = {
  image: { repository: string; tag: string };
  entrypoint: string[];
  args: string[];
  inputs: MountpointSpec[];
  outputs: MountpointSpec[];
  log: { tags: Tag[] } | null;
  onNode: OnNode[];
  resources: Record<string, string>;
  annotations: { key: string; value: string }[];
  serviceAccount: string | null;
  active: boolean;
};

export const DEFAULT_RESOURCES: Readonly<Record<string, string>> = { cpu: "1", memory: "1Gi" };

// ---------------------------------------------------------------------------------------------
// JSON → PlanSpec (shape only; rules are in validatePlanSpec)

class ShapeError extends Error {}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function optionalArray(x: unknown, where: string): unknown[] {
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x)) throw new ShapeError(`${where} should be an array`);
  return x;
}

function stringArray(x: unknown, where: string): string[] {
  return optionalArray(x, where).map((item, i) => {
    if (typeof item !== "string") throw new ShapeError(`${where}[${i}] should be a string`);
    return item;
  });
}

function mountpointFromJson(x: unknown, where: string): MountpointSpec {
  if (!isObject(x)) throw new ShapeError(`${where} should be an object {"path": ..., "tags": [...]}`);
  const path = x["path"] ?? "";
  if (typeof path !== "string") throw new ShapeError(`${where}.path should be a string`);
  return { path, tags: optionalArray(x["tags"], `${where}.tags`).map(tagFromJson) };
}

function onNodeFromJson(x: unknown): OnNode[] {
  if (x === undefined || x === null) return [];
  if (!isObject(x)) throw new ShapeError(`on_node should be an object {"may": [...], "prefer": [...], "must": [...]}`);
  return ON_NODE_MODES.flatMap((mode) =>
    stringArray(x[mode], `on_node.${mode}`).map((label) => ({ mode, ...parseOnNodeLabel(label) })),
  );
}

function resourcesFromJson(x: unknown): Record<string, string> {
  if (x !== undefined && x !== null && !isObject(x)) throw new ShapeError(`resources should be an object {"cpu": "1", ...}`);
  const resources: Record<string, string> = {};
  for (const [type, quantity] of Object.entries(x ?? {})) {
    if (typeof quantity !== "string" && typeof quantity !== "number") {
      throw new ShapeError(`resources.${type} should be a quantity string or number`);
    }
    resources[type] = canonicalQuantity(quantity);
  }
  for (const [type, quantity] of Object.entries(DEFAULT_RESOURCES)) {
    if (!(type in resources)) resources[type] = quantity;
  }
  return resources;
}

function specFromJson(body: unknown): PlanSpec {
  if (!isObject(body)) throw new ShapeError("the plan should be a JSON object");
  const image = body["image"];
  if (image !== undefined && image !== null && typeof image !== "string") throw new ShapeError("image should be a string");
  const log = body["log"];
  if (log !== undefined && log !== null && !isObject(log)) throw new ShapeError(`log should be an object {"tags": [...]}`);
  const serviceAccount = body["service_account"];
  if (serviceAccount !== undefined && serviceAccount !== null && typeof serviceAccount !== "string") {
    throw new ShapeError("service_account should be a string");
  }
  const active = body["active"];
  if (active !== undefined && active !== null && typeof active !== "boolean") throw new ShapeError("active should be a boolean");
  return {
    // a missing image is left empty for validation to report as a nameless image
    image: typeof image === "string" ? parseImage(image) : { repository: "", tag: "" },
    entrypoint: stringArray(body["entrypoint"], "entrypoint"),
    args: stringArray(body["args"], "args"),
    inputs: optionalArray(body["inputs"], "inputs").map((m, i) => mountpointFromJson(m, `inputs[${i}]`)),
    outputs: optionalArray(body["outputs"], "outputs").map((m, i) => mountpointFromJson(m, `outputs[${i}]`)),
    log: isObject(log) ? { tags: optionalArray(log["tags"], "log.tags").map(tagFromJson) } : null,
    onNode: onNodeFromJson(body["on_node"]),
    resources: resourcesFromJson(body["resources"]),
    annotations: stringArray(body["annotations"], "annotations").map(parseAnnotation),
    serviceAccount: typeof serviceAccount === "string" && serviceAccount !== "" ? serviceAccount : null,
    active: typeof active === "boolean" ? active : true,
  };
}

/**
 * The wire PlanSpec (api.md §1.1) as a PlanSpec with defaults applied (active true, cpu 1,
 * memory 1Gi). Unknown fields are ignored. Any shape or value error is a 400 `bad request` with
 * the advice `can not understand the requested json` and the detail as its cause (the reference's text).
 */
export function planSpecFromJson(body: unknown): PlanSpec {
  try {
    return checkPlanSpecLimits(specFromJson(body));
  } catch (cause) {
    throw badRequest("can not understand the requested json", cause);
  }
}

/** The wire form of a PlanSpec (inverse of planSpecFromJson, for clients). */
export function planSpecToJson(spec: PlanSpec): Record<string, unknown> {
  const onNode: Partial<Record<OnNodeMode, string[]>> = {};
  for (const on of spec.onNode) (onNode[on.mode] ??= []).push(`${on.key}=${on.value}`);
  return {
    image: `${spec.image.repository}:${spec.image.tag}`,
    ...(spec.entrypoint.length > 0 ? { entrypoint: spec.entrypoint } : {}),
    ...(spec.args.length > 0 ? { args: spec.args } : {}),
    inputs: spec.inputs.map((m) => ({ path: m.path, tags: m.tags.map(formatTag) })),
    outputs: spec.outputs.map((m) => ({ path: m.path, tags: m.tags.map(formatTag) })),
    ...(spec.log ? { log: { tags: spec.log.tags.map(formatTag) } } : {}),
    ...(spec.onNode.length > 0 ? { on_node: onNode } : {}),
    resources: spec.resources,
    ...(spec.annotations.length > 0 ? { annotations: spec.annotations.map((a) => `${a.key}=${a.value}`) } : {}),
    ...(spec.serviceAccount ? { service_account: spec.serviceAccount } : {}),
    active: spec.active,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation (model.md §4.1)

function invalid(detail: string): InputError {
  const message = `plan spec is invalid: ${detail}`;
  // the reference answers "bad request\n<message>\n caused by:<message>"
  return badRequest(message, new Error(message));
}

function compareOnNode(a: OnNode, b: OnNode): number {
  return compareBytes(a.mode, b.mode) || compareBytes(a.key, b.key) || compareBytes(a.value, b.value);
}

function byPath(a: MountpointSpec, b: MountpointSpec): number {
  return compareBytes(a.path, b.path);
}

/** Go's filepath.Clean for an absolute path. */
function cleanAbsolutePath(path: string): string {
  const parts: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") parts.pop();
    else parts.push(segment);
  }
  return "/" + parts.join("/");
}

function isAbsoluteAndClean(path: string): boolean {
  return path.startsWith("/") && cleanAbsolutePath(path) === path;
}

/**
 * Characters a container engine's volume syntax reads as separators (`src:dst:ro`, `a=b,c=d`): a
 * mount at such a path can never be made, so the plan is refused now rather than its runs stuck later.
 */
const UNMOUNTABLE_PATH_CHARACTERS = /[:,]/;

/** Checks a mountpoint path beyond the reference's rules (absolute and clean are checked before). */
function checkMountablePath(path: string): void {
  if (UNMOUNTABLE_PATH_CHARACTERS.test(path)) {
    throw badPath(path, `contains ":" or ","; a container engine cannot mount such a path. Choose a path without them`);
  }
}

/**
 * Refuses resource limits no worker could ever start with (negative or overflowing quantities),
 * as a 400 that names the resource; the values are canonical quantities (see planSpecFromJson).
 */
export function checkResources(resources: Record<string, string>): void {
  for (const [type, quantity] of Object.entries(resources)) {
    const problem = resourceQuantityProblem(quantity);
    if (problem) throw invalid(`resources: ${type} "${quantity}" ${problem}; give a limit such as cpu "500m" or memory "1Gi"`);
  }
}

/**
 * Whether two mountpoints overlap, by string prefix as the reference judges it: `a/` starts with
 * `b` or `b/` starts with `a` (so `/in` and `/in2` overlap, and `/` overlaps everything).
 */
export function mountpointsOverlap(a: string, b: string): boolean {
  const withSlash = (p: string) => (p.endsWith("/") ? p : p + "/");
  return withSlash(a).startsWith(b) || withSlash(b).startsWith(a);
}

function badTag(path: string, reason: string): InputError {
  return invalid(`bad tag (path = ${path}): ${reason}`);
}

function badPath(path: string, reason: string): InputError {
  return invalid(`bad mountpoint path (path = ${path}) ${reason}`);
}

function overlapped(a: string, b: string): InputError {
  return invalid(`mountpoints are overlapped: ${a}, ${b}`);
}

function checkInputSystemTags(input: MountpointSpec): void {
  let knitId: Tag | undefined;
  let timestamp: Tag | undefined;
  for (const tag of input.tags.filter((t) => isSystemKey(t.key))) {
    if (tag.key === KNIT_TRANSIENT) throw badTag(input.path, `data with "knit#transient" are never used`);
    if (tag.key === KNIT_ID) {
      if (knitId && !tagEqual(knitId, tag)) throw badTag(input.path, `"knit#id:..." found twice (or more)`);
      knitId = tag;
    } else if (tag.key === KNIT_TIMESTAMP) {
      if (timestamp && !tagEqual(timestamp, tag)) throw badTag(input.path, `"knit#timestamp:..." found twice (or more)`);
      const instant = parseTimestamp(tag.value);
      if (!instant) {
        throw badTag(input.path, `"knit#timestamp:${tag.value}" is not an RFC3339 date-time (e.g. 2024-04-01T12:00:00+00:00)`);
      }
      if (!isStorableInstant(instant)) throw badTag(input.path, `"knit#timestamp:${tag.value}" should be ${STORABLE_RANGE}`);
      timestamp = tag;
    } else {
      throw badTag(input.path, `unknown system tag: ${formatTag(tag)}`);
    }
  }
}

/**
 * Check a spec against model.md §4.1, in the reference's order (first failure wins), and return
 * it normalised: on_node sorted, one trailing `/` stripped from paths, inputs and outputs sorted by
 * path, tags normalised, annotations de-duplicated and sorted. Failures are 400
 * `plan spec is invalid: ...`.
 */
export function validatePlanSpec(spec: PlanSpec): PlanSpec {
  const onNode = [...spec.onNode].sort(compareOnNode);
  for (const on of onNode) {
    const keyProblem = labelKeyProblem(on.key);
    if (keyProblem) throw invalid(`on_node: invalid key: ${keyProblem}`);
    const valueProblem = labelValueProblem(on.value);
    if (valueProblem) throw invalid(`on_node: invalid value: ${valueProblem}`);
  }

  if (spec.image.repository === "" || spec.image.tag === "") {
    throw invalid(`nameless or versionless image(${spec.image.repository}:${spec.image.tag})`);
  }

  if (spec.inputs.length === 0) throw invalid("unreachable plan: no inputs");

  const strip = (m: MountpointSpec): MountpointSpec => {
    if (m.path === "") throw badPath(m.path, "path is empty");
    return { path: m.path.endsWith("/") ? m.path.slice(0, -1) : m.path, tags: normalizeTags(m.tags) };
  };
  const inputs = [...spec.inputs].sort(byPath).map(strip).sort(byPath);
  const outputs = [...spec.outputs].sort(byPath).map(strip).sort(byPath);

  inputs.forEach((input, nth) => {
    if (!isAbsoluteAndClean(input.path)) throw badPath(input.path, "not absolute or not clean");
    checkMountablePath(input.path);
    if (input.tags.length === 0) throw badTag(input.path, "no tags for input");
    checkInputSystemTags(input);
    for (const other of [...inputs.slice(nth + 1), ...outputs]) {
      if (mountpointsOverlap(input.path, other.path)) throw overlapped(input.path, other.path);
    }
  });

  outputs.forEach((output, nth) => {
    if (!isAbsoluteAndClean(output.path)) throw badPath(output.path, "not absolute or not clean");
    checkMountablePath(output.path);
    if (output.tags.some((t) => isSystemKey(t.key))) {
      throw badTag(output.path, `output cannot have tag starting with "knit#" (reserved by system)`);
    }
    for (const other of [...inputs, ...outputs.slice(nth + 1)]) {
      if (mountpointsOverlap(output.path, other.path)) throw overlapped(output.path, other.path);
    }
  });

  const log = spec.log ? { tags: normalizeTags(spec.log.tags) } : null;
  if (log && log.tags.some((t) => isSystemKey(t.key))) {
    throw badTag("log", `log cannot have tag starting with "knit#" (reserved by system)`);
  }

  // Beyond the reference (which checks no resources): limits no worker could start with.
  checkResources(spec.resources);

  const annotations = normalizeTags(spec.annotations);
  return {
    image: { ...spec.image },
    entrypoint: [...spec.entrypoint],
    args: [...spec.args],
    inputs,
    outputs,
    log,
    onNode,
    resources: { ...spec.resources },
    annotations,
    serviceAccount: spec.serviceAccount,
    active: spec.active,
  };
}

// ---------------------------------------------------------------------------------------------
// Identity (model.md §4.3) and connectivity (§4.4)

/** The parts of a plan that make its identity; a stored plan and a PlanSpec both fit. */
export type PlanIdentity = Pick<PlanSpec, "image" | "entrypoint" | "args" | "inputs" | "outputs" | "log" | "onNode">;

/**
 * The texts whose concatenation a plan's hash is the SHA-256 of: image, version, on_node
 * (`key=value:mode`, sorted), inputs and outputs (sorted by path: path then each normalised tag
 * `key:value`, timestamps in UTC), `/log` + log tags, `[entrypoint]` + items and `[args]` + items
 * (each only when present), with no separators. The digest itself is taken in the database layer
 * (`@knitfab/db` planHash), so that this package needs no Node crypto and runs in the browser too.
 */
export function planIdentityPieces(spec: PlanIdentity): string[] {
  const pieces = [spec.image.repository, spec.image.tag];
  for (const on of [...spec.onNode].sort(compareOnNode)) pieces.push(`${on.key}=${on.value}:${on.mode}`);
  for (const mountpoints of [spec.inputs, spec.outputs]) {
    for (const m of [...mountpoints].sort(byPath)) {
      pieces.push(m.path);
      for (const tag of normalizeTags(m.tags)) pieces.push(canonicalTagText(tag));
    }
  }
  if (spec.log) {
    pieces.push("/log");
    for (const tag of normalizeTags(spec.log.tags)) pieces.push(canonicalTagText(tag));
  }
  if (spec.entrypoint.length > 0) pieces.push("[entrypoint]", ...spec.entrypoint);
  if (spec.args.length > 0) pieces.push("[args]", ...spec.args);
  return pieces;
}

/** Multiset equality with a custom element equality. */
function sameContent<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  const unused = [...b];
  for (const x of a) {
    const at = unused.findIndex((y) => eq(x, y));
    if (at < 0) return false;
    unused.splice(at, 1);
  }
  return true;
}

const sameMountpoint = (x: MountpointSpec, y: MountpointSpec) => x.path === y.path && tagsEqual(x.tags, y.tags);

/**
 * Would applying `a` re-create `b` (§4.3 step 1)? Same hashed text, image and version, log tag set,
 * inputs and outputs (path + tag set, as multisets), entrypoint and args (as multisets).
 * Mutable attributes (active, resources, annotations, service account) are not compared.
 */
export function plansEquivalent(a: PlanIdentity, b: PlanIdentity): boolean {
  if (planIdentityPieces(a).join("") !== planIdentityPieces(b).join("")) return false;
  if (a.image.repository !== b.image.repository || a.image.tag !== b.image.tag) return false;
  if ((a.log === null) !== (b.log === null)) return false;
  if (a.log && b.log && !tagsEqual(a.log.tags, b.log.tags)) return false;
  return (
    sameContent(a.inputs, b.inputs, sameMountpoint) &&
    sameContent(a.outputs, b.outputs, sameMountpoint) &&
    sameContent(a.entrypoint, b.entrypoint, (x, y) => x === y) &&
    sameContent(a.args, b.args, (x, y) => x === y)
  );
}

/**
 * Is this input fed by an output (or log) with these tags, in the plan graph (§4.4)? Only inputs
 * without `knit#id`/`knit#timestamp` pins and with at least one user tag, all of them on the output.
 */
export function isInputDownstreamOf(input: { tags: readonly Tag[] }, outputTags: readonly Tag[]): boolean {
  if (input.tags.some((t) => t.key === KNIT_ID || t.key === KNIT_TIMESTAMP)) return false;
  const userTags = input.tags.filter((t) => !isSystemKey(t.key));
  if (userTags.length === 0) return false;
  return userTags.every((want) => outputTags.some((have) => have.key === want.key && have.value === want.value));
}

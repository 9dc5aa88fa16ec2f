import { parse } from "yaml";
import { CommandError } from "../cli/errors.js";
import type { MountpointSpec, PlanSpec } from "@knitfab/api";
import { InputError } from "@knitfab/domain/errors";
import { formatImage, parseImage } from "@knitfab/domain/image";
import { splitTag } from "@knitfab/domain/tags";

function fail(message: string): never {
  throw new CommandError(`fail to parse Plan file: ${message}`);
}

function stringList(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" && typeof v !== "number")) fail(`${where} must be a list of strings`);
  return (value as unknown[]).map(String);
}

function tagList(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`${where} must be a list of tags ("key:value" or {key, value})`);
  return value.map((t, i) => {
    if (typeof t === "string") {
      if (!splitTag(t)) fail(`${where}[${i}] '${t}' is not KEY:VALUE`);
      return t;
    }
    if (t && typeof t === "object" && "key" in t && "value" in t) return `${String(t.key)}:${String(t.value)}`;
    return fail(`${where}[${i}] is neither "key:value" nor {key, value}`);
  });
}

function mountpoints(value: unknown, where: string): { path: string; tags: string[] }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`${where} must be a list of {path, tags}`);
  return value.map((m, i) => {
    if (!m || typeof m !== "object" || typeof (m as { path?: unknown }).path !== "string") fail(`${where}[${i}] needs a 'path'`);
    const record = m as { path: string; tags?: unknown };
    return { path: record.path, tags: tagList(record.tags, `${where}[${i}].tags`) };
  });
}

/** An image reference checked by the server's rules (domain parseImage); a missing tag becomes `latest`. */
export function normaliseImage(image: string): string {
  try {
    return formatImage(parseImage(image));
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return fail(`image '${image}' is not a valid image reference (lower-case repository, optional :tag), e.g. registry.example.com/train:v1: ${error.reason}`);
  }
}

/** A PlanSpec as knit sends it: the mountpoint lists always there (`[]` when the file has none). */
export type ParsedPlanSpec = PlanSpec & { inputs: MountpointSpec[]; outputs: MountpointSpec[] };

/** Reads a plan YAML document into the PlanSpec the API takes; unknown keys are ignored. */
export function parsePlanSpec(text: string): ParsedPlanSpec {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    fail((error as Error).message);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) fail("the document must be a YAML map with at least 'image'");
  const d = doc as Record<string, unknown>;
  if (typeof d.image !== "string" || d.image === "") fail("'image' is required (e.g. image: \"repo/name:tag\")");
  const spec: ParsedPlanSpec = {
    image: normaliseImage(d.image),
    inputs: mountpoints(d.inputs, "inputs"),
    outputs: mountpoints(d.outputs, "outputs"),
  };
  const annotations = stringList(d.annotations, "annotations");
  if (annotations) spec.annotations = annotations;
  const entrypoint = stringList(d.entrypoint, "entrypoint");
  if (entrypoint) spec.entrypoint = entrypoint;
  const args = stringList(d.args, "args");
  if (args) spec.args = args;
  if (d.log !== undefined && d.log !== null) {
    if (typeof d.log !== "object") fail("'log' must be a map with 'tags'");
    spec.log = { tags: tagList((d.log as { tags?: unknown }).tags, "log.tags") };
  }
  if (d.on_node !== undefined && d.on_node !== null) {
    const onNode = d.on_node as Record<string, unknown>;
    spec.on_node = {};
    for (const mode of ["may", "prefer", "must"] as const) {
      const list = stringList(onNode[mode], `on_node.${mode}`);
      if (list) spec.on_node[mode] = list;
    }
  }
  if (d.resources !== undefined && d.resources !== null) {
    if (typeof d.resources !== "object" || Array.isArray(d.resources)) fail("'resources' must be a map such as {cpu: 1, memory: 1Gi}");
    spec.resources = Object.fromEntries(Object.entries(d.resources as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }
  if (d.service_account !== undefined && d.service_account !== null) spec.service_account = String(d.service_account);
  if (d.active !== undefined && d.active !== null) {
    if (typeof d.active !== "boolean") fail("'active' must be true or false");
    spec.active = d.active;
  }
  return spec;
}

import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * Query strings read as the reference's echo server reads them (spec/api.md §2):
 * - a single-valued parameter given twice takes its first value (echo's `QueryParam`);
 * - a single-valued parameter given empty is absent (`c.QueryParam(x) != ""`): the reference
 *   console sends `since=…&duration=` when only "since" is filled in, its CLI sends `since=&duration=`;
 * - parameters the route's schema reads as lists (data `tag`, plans `in_tag`/`out_tag`) keep every value;
 * - presence flags (`?follow`, `?pretty`) mean something even when empty.
 */
const PRESENCE_FLAGS = new Set(["follow", "pretty"]);

type RawQuery = Record<string, string | string[] | undefined>;

/** What of a JSON Schema tells whether it takes an array. */
interface PropertySchema {
  type?: unknown;
  anyOf?: unknown;
}

export function installQueryRules(app: FastifyInstance): void {
  // Before validation: the schemas then see one string per single-valued parameter.
  app.addHook("preValidation", async (request) => {
    request.query = normalizeQuery(rawQuery(request.query), listParameters(request));
  });
}

/** Fastify's query parser gives an object of strings and string lists; anything else reads as none. */
function rawQuery(query: unknown): RawQuery {
  const entries = isObject(query) ? Object.entries(query) : [];
  return Object.fromEntries(entries.filter((entry): entry is [string, string | string[]] => typeof entry[1] === "string" || Array.isArray(entry[1])));
}

function normalizeQuery(query: RawQuery, lists: ReadonlySet<string>): RawQuery {
  const entries: [string, string | string[]][] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (lists.has(name)) {
      entries.push([name, value]);
      continue;
    }
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined || (first === "" && !PRESENCE_FLAGS.has(name))) continue;
    entries.push([name, first]);
  }
  return Object.fromEntries(entries);
}

/** The parameters the route's querystring schema accepts as arrays. */
function listParameters(request: FastifyRequest): ReadonlySet<string> {
  const schema: unknown = request.routeOptions.schema?.querystring;
  const properties = isObject(schema) && isObject(schema.properties) ? schema.properties : {};
  const names = new Set<string>();
  for (const [name, property] of Object.entries(properties)) {
    if (acceptsArray(property)) names.add(name);
  }
  return names;
}

function acceptsArray(schema: unknown): boolean {
  if (!isObject(schema)) return false;
  const { type, anyOf }: PropertySchema = schema;
  return type === "array" || (Array.isArray(anyOf) && anyOf.some(acceptsArray));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

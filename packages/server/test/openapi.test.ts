import type { TSchema } from "@sinclair/typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINTS, ErrorBody, MEDIA_TYPES, type Endpoint, type RawBody } from "@knitfab/api";
import { callJson } from "@knitfab/testing";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Content = Record<string, { schema?: unknown }>;
interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Content };
  responses?: Record<string, { content?: Content }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

/**
 * What a JSON Schema says about a body's structure: types, required and allowed properties, items
 * and union members, recursively. Descriptions, patterns and literal values are left out: the
 * document spells some things the OpenAPI 3.0 way (`enum` for `const`, `nullable` for a union with
 * null, `additionalProperties` for a pattern matching every name), so both sides are read that way.
 */
function structure(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null) return schema;
  const { type, required, properties, items, anyOf, additionalProperties, patternProperties, nullable } = schema as Record<string, unknown>;
  const members = Array.isArray(anyOf) ? anyOf.filter((member) => !isNullSchema(member)) : undefined;
  if (members && anyOf && members.length < (anyOf as unknown[]).length) {
    const rest = members.length === 1 ? members[0] : { anyOf: members };
    return { ...(structure(rest) as object), nullable: true };
  }
  const mapped = (record: unknown) =>
    record && typeof record === "object" ? Object.fromEntries(Object.entries(record).map(([name, value]) => [name, structure(value)])) : undefined;
  const everyName = (patternProperties as Record<string, unknown> | undefined)?.["^(.*)$"];
  return {
    type,
    required: Array.isArray(required) ? [...(required as string[])].sort() : undefined,
    properties: mapped(properties),
    additionalProperties: structure(everyName ?? additionalProperties),
    items: structure(items),
    anyOf: members?.map(structure),
    nullable: nullable === true ? true : undefined,
  };
}

function isNullSchema(schema: unknown): boolean {
  return typeof schema === "object" && schema !== null && (schema as { type?: unknown }).type === "null";
}

const RAW_MEDIA_TYPES: Record<Exclude<RawBody, "empty">, string> = { "tar.gz": MEDIA_TYPES.tarGz, log: MEDIA_TYPES.log, jwt: MEDIA_TYPES.jwt };

/** The names of the properties a TypeBox object schema declares. */
const propertyNames = (schema: TSchema | undefined): string[] => Object.keys((schema?.properties as Record<string, unknown> | undefined) ?? {}).sort();

/**
 * /api/openapi.json documents every endpoint of the contract (@knitfab/api ENDPOINTS) with every
 * response: the success body (its JSON schema, the media type of its bytes, or none) and the error
 * bodies of 4xx and 5xx answers; and with the contract's path parameters, query and JSON body.
 */
describe("the OpenAPI document", () => {
  let server: TestServer;
  let document: OpenApiDocument;

  beforeAll(async () => {
    server = await startTestServer("pglite", { role: "api,backend" });
    const response = await callJson<OpenApiDocument>(`${server.apiRoot}/openapi.json`);
    expect(response.status).toBe(200);
    document = response.body;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const endpoints: [string, Endpoint][] = Object.entries(ENDPOINTS);

  it.each(endpoints)("documents every response of %s", (_name, endpoint) => {
    const operation = document.paths[endpoint.path]?.[endpoint.method.toLowerCase()];
    expect(operation, `${endpoint.method} ${endpoint.path} is not in the document`).toBeDefined();
    const responses = operation?.responses ?? {};
    const success = responses[String(endpoint.status)];
    expect(success, `no ${endpoint.status} response`).toBeDefined();
    if (typeof endpoint.response === "string") {
      const content = Object.keys(success?.content ?? {});
      expect(content).toEqual(endpoint.response === "empty" ? [] : [RAW_MEDIA_TYPES[endpoint.response]]);
    } else {
      expect(structure(success?.content?.[MEDIA_TYPES.json]?.schema)).toEqual(structure(asJson(endpoint.response)));
    }
    for (const errors of ["4XX", "5XX"]) {
      expect(structure(responses[errors]?.content?.[MEDIA_TYPES.json]?.schema), `${errors} body`).toEqual(structure(asJson(ErrorBody)));
    }
  });

  it.each(endpoints)("documents the request of %s as the contract has it", (_name, endpoint) => {
    const operation = document.paths[endpoint.path]?.[endpoint.method.toLowerCase()];
    const parameters = (place: string) => (operation?.parameters ?? []).filter((parameter) => parameter.in === place).map((parameter) => parameter.name).sort();
    expect(parameters("path")).toEqual(propertyNames(endpoint.params));
    expect(parameters("query")).toEqual(propertyNames(endpoint.query));
    if (endpoint.body !== undefined && typeof endpoint.body !== "string") {
      expect(structure(operation?.requestBody?.content?.[MEDIA_TYPES.json]?.schema)).toEqual(structure(asJson(endpoint.body)));
    }
  });
});

/** A TypeBox schema as plain JSON (as it travels in the document). */
function asJson(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema));
}

import type { FastifySerializerCompiler } from "fastify";
import { KindGuard, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type ValueError } from "@sinclair/typebox/compiler";

/**
 * How JSON responses are written: `JSON.stringify`, keeping the presenters' key order (the
 * reference's). Fastify's default, fast-json-stringify, moves a schema's required properties ahead
 * of its optional ones (a plan's `entrypoint` would follow its `outputs`) and drops properties the
 * schema does not name; the wire order is part of the contract, so it is not used.
 *
 * With `check` (tests), every body is first validated against its route's response schema for the
 * status: a body that does not match is told to `check` and thrown, which the error handler answers
 * with a 500 and logs.
 */
export function responseSerializer(check?: (breach: string) => void): FastifySerializerCompiler<unknown> {
  return ({ schema, method, url, httpStatus }) => {
    if (!check || !isTypeBoxSchema(schema)) return (data) => JSON.stringify(data);
    const compiled = TypeCompiler.Compile(schema);
    return (data) => {
      if (!compiled.Check(data)) {
        const found = [...compiled.Errors(data)].slice(0, 5).map(describeError);
        const breach = `the ${httpStatus} body of ${method} ${url} does not match its schema: ${found.join("; ")}`;
        check(breach);
        throw new ResponseContractError(breach);
      }
      return JSON.stringify(data);
    };
  };
}

/** The error, and for a union what its members found (members of an upstream or a plan differ in one field). */
function describeError(error: ValueError): string {
  const members = error.errors.map((member) => [...member][0]).filter((first) => first !== undefined);
  const why = members.length > 0 ? ` (${members.map(describeError).join(" | ")})` : "";
  return `${error.path || "/"}: ${error.message}${why}`;
}

/** A response body that breaks the API contract (only raised with the response check on). */
export class ResponseContractError extends Error {
  override name = "ResponseContractError";
}

/** Raw bodies (files, logs, tokens) are documented with plain JSON Schema and are never serialised here. */
function isTypeBoxSchema(schema: unknown): schema is TSchema {
  return KindGuard.IsSchema(schema);
}

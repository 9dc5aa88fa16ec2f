import Fastify from "fastify";
import { Type } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import { ErrorBody } from "@knitfab/api";
import { errorHandler } from "./errors.js";
import { responseSerializer } from "./response-serializer.js";

const Body = Type.Object({ name: Type.String(), size: Type.Optional(Type.Integer()) }, { additionalProperties: false });

async function appAnswering(body: unknown, check?: (breach: string) => void) {
  const app = Fastify({ logger: false });
  app.setSerializerCompiler(responseSerializer(check));
  app.setErrorHandler(errorHandler);
  app.get("/thing", { schema: { response: { 200: Body, "5xx": ErrorBody } } }, async () => body);
  return app;
}

describe("responseSerializer", () => {
  it("writes bodies with JSON.stringify: keys in the order the presenter gave them, none dropped", async () => {
    const app = await appAnswering({ size: 3, name: "a", extra: true });
    const response = await app.inject({ method: "GET", url: "/thing" });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"size":3,"name":"a","extra":true}');
    await app.close();
  });

  it("with the check on, passes a body that matches its schema", async () => {
    const breaches: string[] = [];
    const app = await appAnswering({ name: "a", size: 3 }, (breach) => breaches.push(breach));
    const response = await app.inject({ method: "GET", url: "/thing" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: "a", size: 3 });
    expect(breaches).toEqual([]);
    await app.close();
  });

  it.each([
    ["a field the schema does not name", { name: "a", extra: true }, "/extra"],
    ["a missing field", { size: 3 }, "/name"],
    ["a field of the wrong type", { name: "a", size: "3" }, "/size"],
  ])("with the check on, answers a body with %s with 500 and tells the breach", async (_what, body, path) => {
    const breaches: string[] = [];
    const app = await appAnswering(body, (breach) => breaches.push(breach));
    const response = await app.inject({ method: "GET", url: "/thing" });
    expect(response.statusCode).toBe(500);
    expect(response.json<{ message: string }>().message).toMatch(/^unexpected error\n/);
    expect(breaches).toHaveLength(1);
    expect(breaches[0]).toContain("the 200 body of GET /thing does not match its schema");
    expect(breaches[0]).toContain(path);
    await app.close();
  });
});

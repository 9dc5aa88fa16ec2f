import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { errorHandler } from "./errors.js";

describe("errorHandler", () => {
  it("answers an unexpected failure with 500 and the request id, never the failure's own message", async () => {
    const app = Fastify({ logger: false });
    app.setErrorHandler(errorHandler);
    app.get("/boom", async () => {
      throw new Error("EACCES: permission denied, open '/var/lib/knitfab/data/secret'");
    });
    const response = await app.inject({ method: "GET", url: "/boom" });
    expect(response.statusCode).toBe(500);
    const message = String(response.json<{ message: string }>().message);
    expect(message).toMatch(/^unexpected error\nthe server failed; its log has the details under request id \S+$/);
    expect(message).not.toContain("/var/lib");
    expect(message).not.toContain("EACCES");
    await app.close();
  });
});

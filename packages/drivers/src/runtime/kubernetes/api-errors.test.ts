import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { isRefusal, isTransient } from "./api-errors.js";

const answer = (code: number) => new ApiException(code, `HTTP ${code}`, "{}", {});
const systemError = (code: string) => Object.assign(new Error(`request to https://127.0.0.1:6443/ failed, reason: ${code}`), { code });

describe("isTransient", () => {
  it("counts no answer (a system error code), 429 and 5xx as an outage to wait out", () => {
    for (const error of [systemError("ECONNREFUSED"), systemError("ECONNRESET"), answer(429), answer(500), answer(503), answer(504)]) {
      expect(isTransient(error), String(error)).toBe(true);
    }
  });

  it("counts answers (4xx) and errors without a system code as final", () => {
    for (const error of [answer(400), answer(401), answer(403), answer(404), answer(409), answer(422), new TypeError("x is undefined"), "text"]) {
      expect(isTransient(error), String(error)).toBe(false);
    }
  });
});

describe("isRefusal", () => {
  it("is 401 and 403 only", () => {
    expect([401, 403].map((code) => isRefusal(answer(code)))).toEqual([true, true]);
    expect([400, 404, 429, 500].map((code) => isRefusal(answer(code)))).toEqual([false, false, false, false]);
    expect(isRefusal(systemError("ECONNREFUSED"))).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { engineOptionsFromEnv } from "./options.js";

describe("engine options", () => {
  it("reads engine tunables from the environment and refuses malformed ones", () => {
    expect(engineOptionsFromEnv({ KNITFAB_MAX_WORKERS: "3" })).toMatchObject({ maxWorkers: 3 });
    expect(() => engineOptionsFromEnv({ KNITFAB_LEASE_MS: "soon" })).toThrow(/KNITFAB_LEASE_MS/);
  });
});

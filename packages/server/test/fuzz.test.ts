import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, callJson, storedState, uploadTarGz } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";
import { startTestServer, type TestServer } from "../test-support/index.js";
import { fuzzRequests, type FuzzRequest } from "./support/fuzz-inputs.js";

type Json = Record<string, unknown>;

/** Inputs per database: enough to cover every generator many times, and well under a minute. */
const RUNS = 400;

interface Outcome {
  status: number;
  text: string;
}

async function send(server: TestServer, request: FuzzRequest): Promise<Outcome> {
  const url = `${server.apiRoot}${request.kind === "upload" ? "/data/" : request.path}`;
  switch (request.kind) {
    case "get": {
      const response = await fetch(url);
      const outcome = { status: response.status, text: await response.text() };
      // A download's read record is removed just after its last byte: wait for that, so that the
      // next input's "before" is not changed under it.
      if (response.headers.get("content-type") === "application/tar+gzip") await readsEnded(server);
      return outcome;
    }
    case "json": {
      const response = await fetch(url, { method: request.method, headers: { "content-type": request.contentType }, body: request.body });
      return { status: response.status, text: await response.text() };
    }
    case "upload": {
      const md5 = createHash("md5").update(request.body).digest("hex");
      const options =
        request.checksum === "trailer" ? {} :
        request.checksum === "header" ? { checksum: null, checksumHeader: md5 } :
        request.checksum === "none" ? { checksum: null } :
        { checksum: "0".repeat(32) };
      const result = await uploadTarGz(server.apiRoot, Readable.from([request.body]), options);
      return { status: result.status, text: typeof result.body === "string" ? result.body : JSON.stringify(result.body) };
    }
  }
}

async function readsEnded(server: TestServer): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const rows = await sql<{ count: number }>`SELECT count(*)::int AS count FROM data_agent WHERE mode = 'read'`.execute(server.server.database.db);
    if (rows.rows[0]?.count === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("a download's read record was not removed");
}

/** What a request looked like, for the report of a failing input (bodies cut short). */
function describeRequest(request: FuzzRequest): string {
  const shown = request.kind === "upload" ? { ...request, body: request.body.subarray(0, 300).toString("base64") } : request;
  return JSON.stringify(shown).slice(0, 2000);
}

/**
 * Issue 8's fuzz test: generated malformed plans, tags, queries and archives against a live
 * server. No input may get a 5xx; a 4xx must leave the stored state as it was; the server keeps
 * answering. Uploads run under small limits so that the 413 paths are exercised too.
 */
describe.each(BACKENDS)("fuzzing the API on %s", (backend) => {
  let server: TestServer;
  let ids: { knitId: string; planId: string };
  beforeAll(async () => {
    server = await startTestServer(backend, { role: "api", flags: { uploadMaxSize: "64Ki", uploadMaxEntries: "4" } });
    const upload = await uploadTarGz(server.apiRoot, Readable.from([rawTarGz([{ path: "seed.txt", content: "seed" }])]));
    const knitId = String((upload.body as Json).knitId);
    await callJson(`${server.apiRoot}/data/${knitId}`, { method: "PUT", body: { add: ["fuzz:in"] } });
    const plan = await callJson<Json>(`${server.apiRoot}/plans`, {
      method: "POST",
      body: { image: "localhost/fuzz:seed", inputs: [{ path: "/in", tags: ["fuzz:in"] }], outputs: [{ path: "/out", tags: ["fuzz:out"] }] },
    });
    ids = { knitId, planId: String(plan.body.planId) };
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers every generated input with 2xx or 4xx, changes nothing on 4xx, and keeps answering", async () => {
    const counts = { inputs: 0, "2xx": 0, "4xx": 0, "5xx": 0 };
    await fc.assert(
      fc.asyncProperty(fuzzRequests(ids), async (request) => {
        const before = await storedState(server.server.database, server.home);
        const outcome = await send(server, request);
        counts.inputs += 1;
        const family = outcome.status >= 500 ? "5xx" : outcome.status >= 400 ? "4xx" : "2xx";
        counts[family] += 1;
        expect(outcome.status, `${describeRequest(request)}\n→ ${outcome.status} ${outcome.text.slice(0, 500)}`).toBeLessThan(500);
        if (family === "4xx") {
          expect(await storedState(server.server.database, server.home), `${describeRequest(request)} changed the state`).toEqual(before);
        }
      }),
      { numRuns: RUNS },
    );
    console.log(`fuzz (${backend}): ${counts.inputs} inputs, ${counts["4xx"]} 4xx, ${counts["2xx"]} 2xx, ${counts["5xx"]} 5xx`);
    expect((await callJson(`${server.apiRoot}/plans/`)).status).toBe(200);
  }, 180_000);
});

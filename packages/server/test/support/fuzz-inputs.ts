import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { rawTar, type RawEntry } from "@knitfab/archive";

/**
 * Generators of malformed (and sometimes well-formed) requests for the fuzz test: plans, tag and
 * annotation changes, queries, and archives. Each yields a FuzzRequest the test sends as it is.
 */
export type FuzzRequest =
  | { kind: "json"; method: "POST" | "PUT"; path: string; body: string; contentType: string }
  | { kind: "get"; path: string }
  | { kind: "upload"; body: Buffer; checksum: "trailer" | "header" | "none" | "wrong" };

/** Texts that broke or could break a layer: NUL, control and astral characters, long runs, reserved prefixes, times. */
const nastyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({ unit: "binary-ascii", maxLength: 24 }),
  fc.constantFrom("", " ", "\u0000", "a\u0000b", "knit#id", "knit#timestamp", "knit#transient", "..", "/", "//a/../b", "=", ":", "a:b", "k=v", "\ud83d\ude00"),
  fc.tuple(fc.constantFrom("a", "\u00e9", "\u0000", ":", "/"), fc.integer({ min: 200, max: 5000 })).map(([unit, count]) => unit.repeat(count)),
  fc.constantFrom("0000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2024-02-30T00:00:00Z", "2024-01-01T00:00:00.123456789Z"),
);

/** Tags in the wire forms (string or object) and wrong shapes. */
const nastyTag: fc.Arbitrary<unknown> = fc.oneof(
  fc.tuple(nastyText, nastyText).map(([key, value]) => `${key}:${value}`),
  fc.record({ key: nastyText, value: nastyText }),
  nastyText,
  fc.jsonValue({ maxDepth: 2 }),
);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyText,
  fc.array(nastyText, { maxLength: 4 }),
  fc.array(nastyTag, { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const mountpoint: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ path: fc.oneof(nastyText, fc.constantFrom("/in", "/out", "/in/x")), tags: fc.array(nastyTag, { maxLength: 4 }) }),
  fc.jsonValue({ maxDepth: 2 }),
);

const PLAN_FIELDS = ["image", "entrypoint", "args", "inputs", "outputs", "log", "on_node", "resources", "annotations", "service_account", "active"] as const;

/** A valid plan with some fields replaced by nasty values or nasty mountpoints. */
const plan: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.integer({ min: 0, max: 1_000_000 }),
    fc.array(fc.tuple(fc.constantFrom(...PLAN_FIELDS), nastyValue), { maxLength: 3 }),
    fc.option(fc.array(mountpoint, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    fc.option(fc.dictionary(nastyText, fc.oneof(nastyText, fc.double())), { nil: undefined }),
  )
  .map(([version, replacements, inputs, resources]) => {
    const body: Record<string, unknown> = {
      image: `localhost/fuzz:v${version}`,
      inputs: inputs ?? [{ path: "/in", tags: ["fuzz:in"] }],
      outputs: [{ path: "/out", tags: ["fuzz:out"] }],
      ...(resources === undefined ? {} : { resources }),
    };
    for (const [field, value] of replacements) body[field] = value;
    return body;
  });

const jsonText = (value: unknown): string => JSON.stringify(value) ?? "null";

/** Request bodies: mostly JSON, sometimes text that is not JSON at all. */
const body = (value: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.oneof({ weight: 5, arbitrary: value.map(jsonText) }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) });

/** Every byte percent-encoded: invalid UTF-8 and NUL reach the server as such. */
const percentBytes: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ maxLength: 30 }).map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("")),
  nastyText.map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, "?"))),
);

const goDuration: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.oneof(fc.constant(""), fc.constant("-")), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.constantFrom("h", "m", "s", "ms", "us", "ns", "x", "")).map(
    ([sign, amount, unit]) => `${sign}${amount}${unit}`,
  ),
  fc.constantFrom("2562047h", "2562048h", "-2562047h", "1h30m", "0", ".", "1.5h"),
);

const rfc3339: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.constantFrom("Z", "+00:00", "-23:59", "+23:59", "+24:00"),
  )
  .map(([year, month, day, zone]) => `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}T00:00:00${zone}`);

const queryValue: fc.Arbitrary<string> = fc.oneof(percentBytes, rfc3339.map(encodeURIComponent), goDuration.map(encodeURIComponent));

const QUERY_NAMES = ["tag", "since", "duration", "active", "image", "in_tag", "out_tag", "plan", "knitIdInput", "knitIdOutput", "status", "follow"] as const;

const query: fc.Arbitrary<string> = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_NAMES), queryValue), { maxLength: 4 })
  .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join("&"));

/** Entries of hand-made archives: odd names, every entry type, links anywhere. */
const entry: fc.Arbitrary<RawEntry> = fc.record({
  path: fc.oneof(nastyText, fc.constantFrom("a.txt", "dir/b.txt", "./c", "dir")),
  type: fc.constantFrom("File", "File", "Directory", "SymbolicLink", "Link", "CharacterDevice", "FIFO"),
  content: fc.oneof(fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes))),
  linkpath: fc.oneof(nastyText, fc.constantFrom("a.txt", "../x", "/etc/passwd")),
});

/** A tar made of `entries` that fails on NUL names in node-tar's encoder is sent as garbage instead. */
function tarOf(entries: RawEntry[]): Buffer {
  try {
    return rawTar(entries);
  } catch {
    return Buffer.from(JSON.stringify(entries));
  }
}

const archive: fc.Arbitrary<Buffer> = fc.oneof(
  fc.array(entry, { maxLength: 5 }).map((entries) => gzipSync(tarOf(entries))),
  // a good archive cut short, or with bytes flipped before or after compression
  fc.tuple(fc.array(entry, { minLength: 1, maxLength: 3 }), fc.nat(), fc.nat(255), fc.boolean(), fc.boolean()).map(([entries, at, byte, beforeGzip, cut]) => {
    const tar = tarOf(entries);
    if (beforeGzip) {
      const flipped = Buffer.from(tar);
      flipped[at % flipped.length] = byte;
      return gzipSync(cut ? flipped.subarray(0, at % flipped.length) : flipped);
    }
    const gz = Buffer.from(gzipSync(tar));
    if (cut) return gz.subarray(0, at % gz.length);
    gz[at % gz.length] = byte;
    return gz;
  }),
  fc.uint8Array({ maxLength: 4096 }).map((bytes) => gzipSync(Buffer.from(bytes))),
  fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes)),
);

/** Requests of every kind, against the seeded plan and data (ids given) and against made-up ids. */
export function fuzzRequests(ids: { knitId: string; planId: string }): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(fc.constant(ids.knitId), fc.constant(ids.planId), percentBytes, fc.uuid());
  const json = (method: "POST" | "PUT", path: fc.Arbitrary<string>, value: fc.Arbitrary<unknown>): fc.Arbitrary<FuzzRequest> =>
    fc.record({ kind: fc.constant("json" as const), method: fc.constant(method), path, body: body(value), contentType: fc.constant("application/json") });
  const tagChange = fc.record({ add: fc.array(nastyTag, { maxLength: 4 }), remove: fc.array(nastyTag, { maxLength: 2 }), remove_key: fc.array(nastyValue, { maxLength: 2 }) }, { requiredKeys: [] });
  const annotationChange = fc.record({ add: fc.array(nastyValue, { maxLength: 3 }), remove: fc.array(nastyText, { maxLength: 2 }), remove_key: fc.array(nastyText, { maxLength: 2 }) }, { requiredKeys: [] });
  const resourceChange = fc.record({ set: fc.dictionary(nastyText, fc.oneof(nastyText, fc.double())), unset: fc.array(nastyText, { maxLength: 2 }) }, { requiredKeys: [] });
  return fc.oneof(
    json("POST", fc.constant("/plans/"), plan),
    json("PUT", fc.oneof(fc.constant(ids.knitId), id).map((knitId) => `/data/${knitId}/`), tagChange),
    json("PUT", fc.oneof(fc.constant(ids.planId), id).map((planId) => `/plans/${planId}/annotations`), annotationChange),
    json("PUT", fc.constant(`/plans/${ids.planId}/resources`), resourceChange),
    json("PUT", fc.constant(`/plans/${ids.planId}/serviceaccount`), fc.record({ service_account: nastyValue })),
    fc.record({ kind: fc.constant("get" as const), path: fc.tuple(fc.constantFrom("/data/", "/plans/", "/runs/"), query).map(([path, q]) => `${path}?${q}`) }),
    fc.record({ kind: fc.constant("get" as const), path: fc.tuple(fc.constantFrom("data", "plans", "runs"), id).map(([resource, value]) => `/${resource}/${value}/`) }),
    fc.record({ kind: fc.constant("upload" as const), body: archive, checksum: fc.constantFrom("trailer", "trailer", "header", "none", "wrong") }),
  );
}

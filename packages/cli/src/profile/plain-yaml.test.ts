import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parsePlainYamlMap } from "./plain-yaml.js";

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");

/** The store as the reference's Go YAML writes it: four spaces, plain scalars. */
function goStyle(store: Record<string, { apiRoot: string; cert?: { ca: string } }>): string {
  return Object.entries(store)
    .map(([name, profile]) => `${name}:\n    apiRoot: ${profile.apiRoot}\n${profile.cert ? `    cert:\n        ca: ${profile.cert.ca}\n` : ""}`)
    .join("");
}

/** Whether the plain reader read `text`; when it did, its answer must be exactly yaml's. */
function readAsYamlDoes(text: string): boolean {
  const fast = parsePlainYamlMap(text);
  if (fast === undefined) return false;
  expect(fast).toEqual(parse(text));
  return true;
}

describe("parsePlainYamlMap", () => {
  it("reads the stores knit init and the reference write", () => {
    const store = {
      "/home/alice/project-x": { apiRoot: "https://10.10.0.3:30803/api", cert: { ca: CA } },
      "team-a": { apiRoot: "http://127.0.0.1:30803/api" },
    };
    expect(parsePlainYamlMap(stringify(store))).toEqual(store);
    expect(parsePlainYamlMap(goStyle(store))).toEqual(store);
  });

  it("declines what is not of the simple shape, so that yaml reads it", () => {
    for (const text of [
      "",
      "# comment\na: b\n",
      "a: b # comment\n",
      "a: 1\n",
      "a: true\n",
      "a: null\n",
      "a: ~\n",
      "a:\n",
      "a: b\na: c\n",
      "a: {b: c}\n",
      "a:\n  - b\n",
      "a: \"b\\nc\"\n",
      "a: b\r\n",
      "  a: b\n",
      "a:\n  b: c\n   d: e\n",
      "a:\n    b: c\n  d: e\n",
      "true: b\n",
      "1: b\n",
      "__proto__: b\n",
      "a: b:\n",
      "---\na: b\n",
      "a: b\n\n",
      "a:\tb\n",
    ]) {
      expect(parsePlainYamlMap(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it("answers what yaml answers, or declines", () => {
    // Maps nested at a random step, with keys and values mostly of the simple shape and sometimes not.
    const simple = fc.stringMatching(/^[A-Za-z_/][A-Za-z0-9_/.~ -]{0,8}$/);
    const anything = fc.stringMatching(/^[A-Za-z0-9_/.~:+=%#&*!?'" -]{0,8}$/);
    const special = fc.constantFrom("true", "False", "null", "~", "1", "0x1f", ".inf", "-a", "__proto__", "a:", "a #b", "");
    const key = fc.oneof({ arbitrary: simple, weight: 30 }, { arbitrary: anything, weight: 1 }, { arbitrary: special, weight: 1 });
    const value = fc.oneof(
      { arbitrary: fc.stringMatching(/^[A-Za-z_/][A-Za-z0-9_/.~:+=%-]{0,12}$/), weight: 30 },
      { arbitrary: anything.map((text) => `"${text}"`), weight: 3 },
      { arbitrary: anything.map((text) => `'${text}'`), weight: 3 },
      { arbitrary: anything, weight: 1 },
      { arbitrary: special, weight: 1 },
    );
    type Entries = [string, string | Entries][];
    const { entries } = fc.letrec<{ entries: Entries; node: string | Entries }>((tie) => ({
      entries: fc.array(fc.tuple(key, tie("node")), { minLength: 1, maxLength: 4 }),
      node: fc.oneof({ depthSize: "small" }, value, tie("entries")),
    }));
    const colon = fc.oneof({ arbitrary: fc.constant(": "), weight: 20 }, { arbitrary: fc.constantFrom(":  ", ":", " : "), weight: 1 });
    const render = (list: Entries, indent: string, step: string, colons: string[]): string =>
      list.map(([k, v], index) => typeof v === "string"
        ? `${indent}${k}${colons[index % colons.length]}${v}\n`
        : `${indent}${k}:\n${render(v, indent + step, step, colons)}`).join("");
    const document = fc.tuple(entries, fc.constantFrom("  ", "   ", "    "), fc.array(colon, { minLength: 1, maxLength: 3 }))
      .map(([list, step, colons]) => render(list, "", step, colons));
    let read = 0;
    fc.assert(fc.property(document, (text) => void (read += Number(readAsYamlDoes(text)))), { numRuns: 5000 });
    // The comparison means something only if many documents were read.
    expect(read).toBeGreaterThan(500);
  });

  it("reads every store yaml writes with plain names and addresses as yaml does", () => {
    const name = fc.stringMatching(/^[A-Za-z_/][A-Za-z0-9_/.~ -]{0,20}$/);
    const profile = fc.record(
      { apiRoot: fc.webUrl(), cert: fc.record({ ca: fc.base64String({ minLength: 4, maxLength: 200 }) }) },
      { requiredKeys: ["apiRoot"] },
    );
    let read = 0;
    fc.assert(
      fc.property(fc.dictionary(name, profile, { minKeys: 1, maxKeys: 4 }), (store) => {
        for (const text of [stringify(store), goStyle(store)]) read += Number(readAsYamlDoes(text));
      }),
      { numRuns: 2000 },
    );
    expect(read).toBeGreaterThan(1000);
  });
});

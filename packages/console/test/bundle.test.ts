// The built console (`npm run build -w @knitfab/console`) takes its API types from @knitfab/api:
// types leave nothing in the bundle, and the few values it uses come from the contract's
// TypeBox-free modules, so the browser never downloads the schema library.
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { consoleDistPath } from "../dist-path.js";

/** TypeBox tags every schema with this symbol; minifying keeps the string. */
const TYPEBOX_MARK = "TypeBox.Kind";

async function scripts(): Promise<{ name: string; text: string }[]> {
  const folder = join(consoleDistPath, "assets");
  const names = (await readdir(folder)).filter((name) => name.endsWith(".js"));
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(folder, name), "utf8") })));
}

describe("the built console", () => {
  it("holds no TypeBox", async () => {
    const found = await scripts();
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter(({ text }) => text.includes(TYPEBOX_MARK)).map(({ name }) => name)).toEqual([]);
  });

  it("the mark is TypeBox's: its symbols module holds it (guards the check above)", async () => {
    const require = createRequire(import.meta.url);
    const typebox = require.resolve("@sinclair/typebox");
    const symbols = join(typebox, "..", "type", "symbols", "symbols.js");
    expect(await readFile(symbols, "utf8")).toContain(TYPEBOX_MARK);
  });
});

import { readdir, readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { describe, expect, it } from "vitest";

/**
 * The contract runs in the browser (the console) as well as in Node: its sources may import only
 * each other and TypeBox, and use no Node global.
 */
const sourceFolder = new URL("./", import.meta.url);
const packageJson = new URL("../package.json", import.meta.url);

async function sources(): Promise<{ name: string; text: string }[]> {
  const names = (await readdir(sourceFolder)).filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"));
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(new URL(name, sourceFolder), "utf8") })));
}

/** Every module specifier: static and dynamic imports, re-exports and require calls. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']|\bimport\s+["']([^"']+)["']|\brequire\s*\(\s*["']([^"']+)["']/g)) {
    found.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? "");
  }
  return found;
}

const NODE_GLOBALS = /\b(Buffer|process|__dirname|__filename|require|global|setImmediate)\b/;

describe("@knitfab/api is browser-safe", () => {
  it("has sources to check", async () => {
    expect((await sources()).map((source) => source.name)).toContain("index.ts");
  });

  it("imports only its own files and @sinclair/typebox, never a Node built-in", async () => {
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const offending: string[] = [];
    for (const { name, text } of await sources()) {
      for (const specifier of specifiers(text)) {
        const allowed = specifier.startsWith("./") || specifier === "@sinclair/typebox" || specifier.startsWith("@sinclair/typebox/");
        if (!allowed || specifier.startsWith("node:") || builtins.has(specifier)) offending.push(`${name}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("uses no Node global (Buffer, process, require, ...)", async () => {
    const offending: string[] = [];
    for (const { name, text } of await sources()) {
      // comments may name them; code may not
      const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
      code.split("\n").forEach((line, index) => {
        if (NODE_GLOBALS.test(line)) offending.push(`${name}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(offending).toEqual([]);
  });

  it("run-statuses.ts imports nothing: the CLI, the console and the domain take the list without loading TypeBox", async () => {
    const text = await readFile(new URL("run-statuses.ts", sourceFolder), "utf8");
    expect(specifiers(text)).toEqual([]);
  });

  it("depends on TypeBox only", async () => {
    const manifest = JSON.parse(await readFile(packageJson, "utf8")) as { dependencies?: Record<string, string> };
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(["@sinclair/typebox"]);
  });

  it("the specifier scan finds what it must refuse", () => {
    // guards the regular expression above: a broken scan would pass every source
    expect(specifiers(`import { readFile } from "node:fs";\nexport * from "./x.js";\nconst m = await import("path");\nimport "os";`)).toEqual([
      "node:fs",
      "./x.js",
      "path",
      "os",
    ]);
  });
});

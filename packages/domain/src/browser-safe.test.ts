import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * The domain's rules run in the browser (the console) as well as in Node. The check bundles the
 * package as a browser build would, following every import (its own files and the API contract's
 * modules it uses), and then looks at the code that ended up in the bundle.
 */
const domainIndex = { file: fileURLToPath(new URL("./index.ts", import.meta.url)) };
const apiSource = fileURLToPath(new URL("../../api/src/", import.meta.url));
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Resolves `@knitfab/api/<module>` to its TypeScript source, as the console's Vite config does. */
const apiFromSource: Plugin = {
  name: "api-from-source",
  setup(builder) {
    builder.onResolve({ filter: /^@knitfab\/api(\/.*)?$/ }, (args) => ({ path: `${apiSource}${args.path.slice("@knitfab/api/".length) || "index"}.ts` }));
  },
};

/** Bundles the entry (a file, or source text) for the browser: the modules it reached, the ones left unresolved, and the code. */
async function browserBundle(entry: { file: string } | { source: string }): Promise<{ inputs: string[]; unresolved: string[]; code: string }> {
  const unresolved: string[] = [];
  const recordNodeImports: Plugin = {
    name: "record-node-imports",
    setup(builder) {
      builder.onResolve({ filter: /.*/ }, (args) => {
        if (!NODE_BUILTINS.has(args.path)) return undefined;
        unresolved.push(`${args.importer}: ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    ...("file" in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.source, loader: "ts" as const, sourcefile: "fixture.ts" } }),
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    metafile: true,
    logLevel: "silent",
    // a package from node_modules (anything but our sources) would be a new dependency to judge
    plugins: [recordNodeImports, apiFromSource],
  });
  return { inputs: Object.keys(result.metafile.inputs), unresolved, code: result.outputFiles[0]?.text ?? "" };
}

const NODE_GLOBALS = /\b(Buffer|process|__dirname|__filename|require|global|setImmediate)\b/;

/** Lines of bundled code that use a Node global. esbuild drops comments, so what is left is code. */
function nodeGlobalUses(code: string): string[] {
  return code.split("\n").filter((line) => NODE_GLOBALS.test(line.replace(/"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '""')));
}

describe("@knitfab/domain is browser-safe", () => {
  it("imports no Node built-in, directly or through what it imports", async () => {
    const bundle = await browserBundle(domainIndex);
    expect(bundle.inputs.length).toBeGreaterThan(10);
    expect(bundle.unresolved).toEqual([]);
  });

  it("reaches only its own sources and the API contract's, no third-party package", async () => {
    const { inputs } = await browserBundle(domainIndex);
    expect(inputs.filter((input) => !/^packages\/(domain|api)\/src\//.test(input))).toEqual([]);
  });

  it("uses no Node global (Buffer, process, require, ...)", async () => {
    expect(nodeGlobalUses((await browserBundle(domainIndex)).code)).toEqual([]);
  });

  it("the checks find what they must refuse", async () => {
    // guards the checks above: a fixture that uses node:crypto and Buffer must be caught by both
    const source = 'import { createHash } from "node:crypto";\nexport const hash = (text: string) => createHash("sha256").update(Buffer.from(text)).digest("hex");\n';
    const bundle = await browserBundle({ source });
    expect(bundle.unresolved).toEqual(["fixture.ts: node:crypto"]);
    expect(nodeGlobalUses(bundle.code)).toEqual([expect.stringContaining("Buffer")]);
  });
});

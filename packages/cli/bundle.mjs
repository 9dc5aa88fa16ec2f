// Bundles the compiled CLI (dist/, from `tsc -b`) into one CommonJS file, dist/bundle/knit.cjs, which
// bin/knit.cjs runs. Run by `npm run build`; bench/cli-start.mjs measures what it buys.
//
// Why this shape (each measured with bench/cli-start.mjs, Node 20):
// - One file: Node no longer resolves and reads some sixty modules at every start.
// - CommonJS, not ESM: Node's ESM loader alone costs about a quarter of `node -e 0` to start, more
//   than everything else knit does for `knit version`. (ESM would allow code splitting into chunks;
//   CommonJS has none, but esbuild still evaluates a module reached only through `import()` when that
//   import runs, so the YAML parser, tar, the progress bar, graph and template code cost only their
//   parsing, which V8 defers for function bodies, until a command imports them.)
// - commander's `require("node:child_process")` is deferred to the first use (which never comes:
//   knit runs extensions itself): loading child_process pulls in net, dgram and streams, about a
//   tenth of Node's start.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readBuildInfo } from "./dist/cli/build-info.js";

/**
 * The WASM renderers, left in node_modules (they find their .wasm files beside their own code) and
 * required by `--format svg|png` only. Graphviz's package is ESM: Node ≥ 20.19 requires it quietly.
 */
const RENDERERS = ["@hpcc-js/wasm-graphviz", "@resvg/resvg-wasm"];

const packageDir = fileURLToPath(new URL(".", import.meta.url));
const outdir = `${packageDir}dist/bundle`;

/** Replaces a dependency's `require("node:child_process")` with an object that loads it on first use. */
const deferChildProcess = {
  name: "defer-child-process",
  setup(builder) {
    builder.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes("/node_modules/commander/") ? { path: "child_process", namespace: "deferred" } : undefined);
    builder.onLoad({ filter: /.*/, namespace: "deferred" }, () => ({
      contents: 'module.exports = new Proxy({}, { get: (_, name) => require("node:child_process")[name] });',
      loader: "js",
    }));
  },
};

/**
 * Large libraries that only some commands use, each bundled into a file of its own under vendor/
 * and required from there on first use: the main file is parsed at every start, these only when a
 * command needs them. (They share no module with the CLI, so nothing is loaded twice.)
 */
const VENDOR = ["yaml", "tar", "cli-progress"];

/**
 * Points the vendor libraries at their files, and turns `import()` of them, of the renderers and of
 * Node's own modules into require(): an `import()` left in a CommonJS file starts Node's ESM loader
 * when it runs, and could not run at all in bin/knit.cjs, which compiles the bundle with vm.Script.
 * (esbuild turns `import()` of bundled modules into require() itself, but keeps external ones.)
 */
const requireExternals = {
  name: "require-externals",
  setup(builder) {
    const vendor = new RegExp(`^(${VENDOR.join("|")})$`);
    builder.onResolve({ filter: /^\.\/vendor\// }, (args) => ({ path: args.path, external: true }));
    builder.onResolve({ filter: /.*/ }, (args) => {
      const target = vendor.test(args.path) ? `./vendor/${args.path}.cjs` : args.path.startsWith("node:") || RENDERERS.includes(args.path) ? args.path : undefined;
      if (target === undefined) return undefined;
      if (args.kind === "dynamic-import") return { path: target, namespace: "required" };
      return target.startsWith("./vendor/") ? { path: target, external: true } : undefined;
    });
    builder.onLoad({ filter: /.*/, namespace: "required" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

await rm(outdir, { recursive: true, force: true });
await Promise.all(VENDOR.map((name) => build({
  absWorkingDir: packageDir,
  stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: packageDir, sourcefile: `vendor-${name}.cjs` },
  outfile: `${outdir}/vendor/${name}.cjs`,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20.19",
  // Third-party code: smaller is faster to parse, and its stack frames are not ours to read.
  minify: true,
  logLevel: "warning",
})));
const { metafile } = await build({
  absWorkingDir: packageDir,
  entryPoints: { knit: "dist/bin/knit.js" },
  outExtension: { ".js": ".cjs" },
  outdir,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20.19",
  external: RENDERERS,
  // CommonJS has no import.meta; the code uses its url to find packages and files beside itself.
  // A getter: the URL is made only by the code that asks for it (graph rendering, a build without
  // build info), not at every start (a fortieth of `knit version`).
  define: {
    "import.meta.url": "__knitModule.url",
    // `knit version` then reads no package.json and starts no `git` (see src/cli/build-info.ts).
    KNIT_BUILD_INFO: JSON.stringify(await readBuildInfo(packageDir)),
  },
  banner: { js: 'const __knitModule = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
  plugins: [deferChildProcess, requireExternals],
  metafile: true,
  sourcemap: "linked",
  logLevel: "warning",
});
const bundled = await readFile(`${outdir}/knit.cjs`, "utf8");
const imports = [...bundled.matchAll(/\bimport\("([^"]+)"\)/g)].map((m) => m[1]);
if (imports.length > 0) throw new Error(`the bundle still imports ${imports.join(", ")} with import(): make them required (see requireExternals)`);
// bin/knit.cjs compiles the bundle as a function body, where a `#!` line is a syntax error; `//`
// keeps every line and column where the source map has them.
await writeFile(`${outdir}/knit.cjs`, bundled.replace(/^#!/, "//"));
await writeCodeCache();
// Which sources went into the bundle: test/start.e2e.test.ts reads it to tell what a command evaluated.
await writeFile(`${outdir}/meta.json`, JSON.stringify(metafile));

/**
 * Runs one typical command through bin/knit.cjs so that it writes the V8 code cache of what it
 * compiled: `knit data find` up to reading the profile store, which a fresh HOME does not have (so
 * it needs no server and ends with exit 1): commander, the command tree, flag parsing, the context.
 */
async function writeCodeCache() {
  const cacheFile = `${outdir}/knit.cjs.cache`;
  const home = await mkdtemp(join(tmpdir(), "knit-code-cache-"));
  try {
    const run = spawnSync(process.execPath, [`${packageDir}bin/knit.cjs`, "data", "find", "-t", "cache:training"], {
      cwd: home,
      env: { HOME: home, PATH: "", KNIT_BUILD_CODE_CACHE: cacheFile },
      encoding: "utf8",
    });
    if (!/profile store .* does not exist/.test(run.stderr)) throw new Error(`the training run of the bundle failed:\n${run.stderr}`);
    await stat(cacheFile);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
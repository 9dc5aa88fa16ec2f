import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newUser, startServer, type Result, type Server, type User } from "./harness.js";

// Every knit command loads only what it uses (issue 14): the built knit is run with a preload that
// records which of Node's modules and which files the process loaded, and the fast commands must
// load none of the heavy parts. The positive controls show that the recording sees those parts
// when a command does use them.

const RECORDER = fileURLToPath(new URL("./fixtures/record-loaded-modules.cjs", import.meta.url));

interface Loaded {
  builtins: string[];
  files: string[];
}

let server: Server;
let user: User;
let records: string;

beforeAll(async () => {
  server = await startServer();
  user = await newUser();
  records = await mkdtemp(join(tmpdir(), "knit-e2e-loaded-"));
  expect((await user.knit(["init", server.handout])).code).toBe(0);
  await mkdir(join(user.project, "dataset"));
  await writeFile(join(user.project, "dataset", "value"), "1\n");
});

afterAll(async () => {
  await server?.stop();
  if (records) await rm(records, { recursive: true, force: true });
});

let runs = 0;
async function knitRecorded(args: string[]): Promise<{ result: Result; loaded: Loaded }> {
  const file = join(records, `${runs++}.json`);
  const result = await user.knit(args, { env: { NODE_OPTIONS: `--require ${RECORDER}`, KNIT_TEST_LOADED_MODULES: file } });
  expect(result.code, result.stderr).toBe(0);
  return { result, loaded: JSON.parse(await readFile(file, "utf8")) as Loaded };
}

/** The heavy parts, each as what shows that it was loaded. */
const HEAVY = {
  "the YAML parser": (l: Loaded) => l.files.some((f) => /[/\\]yaml(\.cjs$|[/\\])/.test(f)),
  "tar": (l: Loaded) => l.files.some((f) => /[/\\]tar(\.cjs$|[/\\])/.test(f)),
  "the progress bar": (l: Loaded) => l.files.some((f) => /cli-progress/.test(f)),
  "the graph renderers": (l: Loaded) => l.files.some((f) => /wasm-graphviz|resvg-wasm/.test(f)),
  "gzip (node:zlib)": (l: Loaded) => l.builtins.includes("zlib"),
  "TLS (node:https, node:tls)": (l: Loaded) => l.builtins.includes("https") || l.builtins.includes("tls"),
  "child processes (node:child_process)": (l: Loaded) => l.builtins.includes("child_process"),
  "the promise API of the file system": (l: Loaded) => l.builtins.includes("internal/fs/promises"),
};

function heavyParts(loaded: Loaded): string[] {
  return Object.entries(HEAVY).filter(([, seen]) => seen(loaded)).map(([name]) => name);
}

/** Which sources esbuild put into the bundle (written by bundle.mjs). */
const BUNDLE_META = fileURLToPath(new URL("../dist/bundle/meta.json", import.meta.url));

describe("what the knit bundle holds", () => {
  it("the contract's TypeBox-free run-statuses module, and no TypeBox: every command would build schemas at start", async () => {
    const { inputs } = JSON.parse(await readFile(BUNDLE_META, "utf8")) as { inputs: Record<string, unknown> };
    const sources = Object.keys(inputs);
    expect(sources.filter((source) => /[/\\]@sinclair[/\\]typebox[/\\]/.test(source))).toEqual([]);
    // the positive control: knit does take runtime values from the contract, and only from that module
    expect(sources.filter((source) => /(^|[/\\])api[/\\](dist|src)[/\\]/.test(source)).map((source) => source.replace(/^.*[/\\]/, ""))).toEqual(["run-statuses.js"]);
  });
});

describe("what a knit command loads", () => {
  it("knit version and knit --help load none of the heavy parts", async () => {
    const version = await knitRecorded(["version"]);
    expect(version.result.stdout).toMatch(/^v\d+\.\d+\.\d+ \(commit: ([0-9a-f]{40}|unknown)\)$/);
    expect(heavyParts(version.loaded)).toEqual([]);
    expect(heavyParts((await knitRecorded(["--help"])).loaded)).toEqual([]);
  });

  it("knit data find loads none of them either: a store written by knit init is read without the YAML parser", async () => {
    const find = await knitRecorded(["data", "find", "-t", "no:such"]);
    expect(JSON.parse(find.result.stdout)).toEqual([]);
    expect(heavyParts(find.loaded)).toEqual([]);
  });

  it("the commands that use the heavy parts load them", async () => {
    const push = await knitRecorded(["data", "push", "-t", "start:test", "./dataset"]);
    expect(heavyParts(push.loaded)).toEqual(expect.arrayContaining(["tar", "the progress bar", "gzip (node:zlib)"]));
    const { knitId } = JSON.parse(push.result.stdout) as { knitId: string };
    const lineage = await knitRecorded(["data", "lineage", "--format", "svg", knitId]);
    expect(lineage.result.stdout).toContain("<svg");
    expect(heavyParts(lineage.loaded)).toContain("the graph renderers");
    const template = await knitRecorded(["plan", "template", "--scratch"]);
    expect(heavyParts(template.loaded)).toContain("the YAML parser");
  });
});

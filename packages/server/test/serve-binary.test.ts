import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort } from "@knitfab/testing";

const BIN = fileURLToPath(new URL("../bin/knitfab.js", import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));

async function waitFor(path: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await stat(path).catch(() => undefined)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} did not appear`);
}

/** The `knitfab` binary as a user starts it (needs `npm run build`, which the test command does first). */
describe("knitfab serve (the binary)", () => {
  it("starts on the embedded default, writes the handout, answers, and stops cleanly on SIGTERM", async () => {
    const home = await mkdtemp(join(tmpdir(), "knitfab-bin-"));
    const port = await freePort();
    const server = run(["serve", "--port", String(port)], { KNITFAB_HOME: home });
    const handout = join(home, "handout", "knitprofile");
    await waitFor(handout);
    expect(await readFile(handout, "utf8")).toBe(`apiRoot: http://127.0.0.1:${port}/api\n`);
    const response = await fetch(`http://127.0.0.1:${port}/api/plans`);
    expect(response.status).toBe(200);
    const plans = (await response.json()) as { name?: string }[];
    expect(plans.map((plan) => plan.name)).toEqual(expect.arrayContaining(["knit#uploaded", "knit#imported"]));

    // a second process on the same home is refused: PGlite's files belong to one process
    const second = run(["serve", "--home", home, "--port", String(await freePort())]);
    expect(await exitOf(second)).toBe(1);
    expect(second.output()).toMatch(/another knitfab \(pid \d+\) is using/);

    server.kill("SIGTERM");
    expect(await exitOf(server)).toBe(0);
    expect(server.output()).toMatch(/SIGTERM received, shutting down/);
    expect(await stat(join(home, "knitfab.pid")).catch(() => undefined)).toBeUndefined();

    // and it starts again on the same home, with its data
    const again = run(["serve", "--home", home, "--port", String(port)]);
    await waitFor(join(home, "knitfab.pid"));
    for (let attempt = 0; attempt < 100; attempt++) {
      const ok = await fetch(`http://127.0.0.1:${port}/api/plans`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await fetch(`http://127.0.0.1:${port}/api/runs`)).status).toBe(200);
    again.kill("SIGINT");
    expect(await exitOf(again)).toBe(0);
  });

  it("explains bad options and exits 2", async () => {
    for (const args of [["serve", "--port", "http"], ["serve", "--role", "everything"], ["serve", "--database-url", "mysql://x"]]) {
      const child = run(args, { KNITFAB_HOME: await mkdtemp(join(tmpdir(), "knitfab-bin-")) });
      expect(await exitOf(child), args.join(" ")).toBe(2);
      expect(child.output()).toMatch(/^knitfab: --/);
    }
  });

  it("documents every option and its environment variable in --help", async () => {
    const child = run(["serve", "--help"]);
    expect(await exitOf(child)).toBe(0);
    for (const flag of ["--home", "--port", "--listen", "--database-url", "--role", "--hooks", "--runtime"]) expect(child.output()).toContain(flag);
    for (const variable of ["KNITFAB_HOME", "KNITFAB_PORT", "KNITFAB_LISTEN", "KNITFAB_DATABASE_URL", "KNITFAB_ROLE", "KNITFAB_HOOKS"]) {
      expect(child.output()).toContain(variable);
    }
  });
});

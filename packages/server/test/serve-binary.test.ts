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

/** Waits until the server answers on `port`; fails with its output if it exits first. */
async function waitForApi(port: number, child: ChildProcess & { output: () => string }): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${child.output()}`);
    if (await fetch(`http://127.0.0.1:${port}/api/plans`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not answer: ${child.output()}`);
}

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

    // and it starts again on the same home, with its data
    const again = run(["serve", "--home", home, "--port", String(port)]);
    await waitForApi(port, again);
    expect((await fetch(`http://127.0.0.1:${port}/api/runs`)).status).toBe(200);
    again.kill("SIGINT");
    expect(await exitOf(again)).toBe(0);
  });

  it("starts again at once after kill -9, even while the killed process is not reaped yet, every time", async () => {
    const home = await mkdtemp(join(tmpdir(), "knitfab-bin-"));
    const parents: ChildProcess[] = [];
    try {
      let previous: number | undefined;
      for (let round = 0; round < 4; round++) {
        const port = await freePort();
        // The server's parent execs into `sleep`, which never reaps it: once killed it stays a zombie,
        // which a pid check takes for a live owner (as a restart right after kill -9 can meet it).
        const parent = spawn("sh", ["-c", `"$0" "$1" serve --home "$2" --port "$3" --log-level off & echo $!; exec sleep 600`, process.execPath, BIN, home, String(port)], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        parents.push(parent);
        let output = "";
        parent.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
        parent.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
        await waitForApi(port, Object.assign(parent, { output: () => output }));
        const pid = Number(output.split("\n")[0]);
        expect(pid).toBeGreaterThan(0);
        if (previous !== undefined) expect(await readFile(`/proc/${previous}/stat`, "utf8").catch(() => "gone")).toMatch(/^\d+ \(.*\) Z |gone/);
        process.kill(pid, "SIGKILL");
        previous = pid;
      }
    } finally {
      for (const parent of parents) parent.kill("SIGKILL");
    }
  }, 120_000);

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

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";

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
    // store and runtime are chosen by name; an unknown one is refused with the names known
    for (const [args, env, said] of [
      [["serve", "--store", "s3"], {}, /^knitfab: --store "s3" is unknown; known: local \(.*; pvc \(/],
      [["serve", "--store", "pvc"], {}, /^knitfab: --store pvc needs --kubeconfig FILE, or to run in a Pod of the cluster/],
      [["serve"], { KNITFAB_RUNTIME: "nomad" }, /^knitfab: --runtime "nomad" is unknown; known: docker \(.*\); kubernetes \(/],
      [["serve", "--runtime", "kubernetes", "--namespace", "Knit_Workers"], {}, /^knitfab: --namespace must be a Kubernetes namespace name/],
      [["serve", "--runtime", "kubernetes"], { KNITFAB_KUBECONFIG: "/nonexistent/kubeconfig" }, /^knitfab: --kubeconfig "\/nonexistent\/kubeconfig" does not exist/],
    ] as const) {
      const child = run([...args], { ...env, KNITFAB_HOME: await mkdtemp(join(tmpdir(), "knitfab-bin-")) });
      expect(await exitOf(child), args.join(" ")).toBe(2);
      expect(child.output()).toMatch(said);
    }
  });

  it("refuses to start with a bad extra-APIs file, saying what to fix, before touching its home", async () => {
    const folder = await mkdtemp(join(tmpdir(), "knitfab-bin-"));
    const reserved = join(folder, "reserved.yaml");
    await writeFile(reserved, "endpoints:\n  - path: /api/mine\n    proxy_to: http://127.0.0.1:9/x\n");
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [["--extra-apis", reserved], {}, /^knitfab: could not start: .*reserved\.yaml: endpoints\[0\]: path "\/api\/mine" is reserved: \/api and everything under it belong to knitfab$/m],
      [[], { KNITFAB_EXTRA_APIS: join(folder, "missing.yaml") }, /^knitfab: could not start: cannot read the extra APIs file .*missing\.yaml: ENOENT/m],
    ];
    for (const [flags, env, message] of cases) {
      const home = join(folder, "home");
      const child = run(["serve", "--port", String(await freePort()), ...flags], { KNITFAB_HOME: home, ...env });
      expect(await exitOf(child)).toBe(1);
      expect(child.output()).toMatch(message);
      expect(await stat(home).catch(() => undefined)).toBeUndefined();
    }
  });

  it("logs requests as JSON lines under the caller's X-Request-Id, proxied ones included", async () => {
    const home = await mkdtemp(join(tmpdir(), "knitfab-bin-"));
    const file = join(home, "extra-apis.yaml");
    // an upstream nobody listens on: the proxy answers 502 and logs why
    await writeFile(file, `endpoints:\n  - path: /my/api\n    proxy_to: http://127.0.0.1:${await freePort()}/api\n`);
    const port = await freePort();
    const server = run(["serve", "--port", String(port), "--log-level", "info", "--extra-apis", file], { KNITFAB_HOME: home });
    await waitForApi(port, server);
    const proxied = await fetch(`http://127.0.0.1:${port}/my/api/x`, { headers: { "x-request-id": "trace-42" } });
    expect(proxied.status).toBe(502);
    expect(proxied.headers.get("x-request-id")).toBe("trace-42");
    server.kill("SIGTERM");
    expect(await exitOf(server)).toBe(0);
    const traced = server
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.reqId === "trace-42");
    expect(traced.map((line) => line.msg)).toEqual(expect.arrayContaining(["incoming request", "extra API upstream failed", "request completed"]));
  });

  it("refuses to listen where other machines reach it without access control, naming both flags, and starts with tokens", async () => {
    const home = await mkdtemp(join(tmpdir(), "knitfab-bin-"));
    try {
      const refused = run(["serve", "--home", home, "--port", String(await freePort()), "--listen", "0.0.0.0"]);
      expect(await exitOf(refused)).toBe(2);
      expect(refused.output()).toMatch(/--listen 0\.0\.0\.0 would let other machines use this server without any access control/);
      expect(refused.output()).toMatch(/--auth tokens/);
      expect(refused.output()).toMatch(/--insecure-no-auth/);
      // (--insecure-no-auth is accepted too: see access-config.test.ts; a start costs much time here)
      for (const extra of [["--auth", "tokens"]]) {
        const port = await freePort();
        const server = run(["serve", "--home", home, "--port", String(port), "--listen", "0.0.0.0", ...extra]);
        for (let attempt = 0; attempt < 600; attempt++) {
          if (server.exitCode !== null) throw new Error(`the server exited: ${server.output()}`);
          if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect((await fetch(`http://127.0.0.1:${port}/api/plans`)).status).toBe(401);
        server.kill("SIGTERM");
        expect(await exitOf(server)).toBe(0);
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }, 240_000);

  it("documents every option and its environment variable in --help", async () => {
    const child = run(["serve", "--help"]);
    expect(await exitOf(child)).toBe(0);
    for (const flag of ["--home", "--port", "--listen", "--database-url", "--role", "--hooks", "--store", "--runtime", "--allowed-hosts", "--extra-apis", "--free-space-warning", "--auth", "--insecure-no-auth", "--tls-cert", "--tls-key", "--tls-ca", "--kubeconfig", "--namespace", "--priority-class"]) {
      expect(child.output()).toContain(flag);
    }
    for (const variable of [
      "KNITFAB_HOME",
      "KNITFAB_PORT",
      "KNITFAB_LISTEN",
      "KNITFAB_DATABASE_URL",
      "KNITFAB_ROLE",
      "KNITFAB_HOOKS",
      "KNITFAB_STORE",
      "KNITFAB_RUNTIME",
      "KNITFAB_ALLOWED_HOSTS",
      "KNITFAB_EXTRA_APIS",
      "KNITFAB_FREE_SPACE_WARNING",
      "KNITFAB_AUTH",
      "KNITFAB_INSECURE_NO_AUTH",
      "KNITFAB_TLS_CERT",
      "KNITFAB_TLS_KEY",
      "KNITFAB_TLS_CA",
      "KNITFAB_KUBECONFIG",
      "KNITFAB_NAMESPACE",
      "KNITFAB_PRIORITY_CLASS",
    ]) {
      expect(child.output()).toContain(variable);
    }
  });

  it("logs a refused request at info without a stack, a server error at error with its stack, and no refusal at the default level", async () => {
    const home = await mkdtemp(join(tmpdir(), "knitfab-bin-"));
    const port = await freePort();
    const server = run(["serve", "--port", String(port), "--log-level", "info"], { KNITFAB_HOME: home });
    await waitFor(join(home, "handout", "knitprofile"));
    const refused = await fetch(`http://127.0.0.1:${port}/api/runs?status=bogus`);
    expect(refused.status).toBe(400);
    // a server-side failure: the data folder is not a folder any more
    await rm(join(home, "data"), { recursive: true, force: true });
    await writeFile(join(home, "data"), "not a folder");
    const failed = await fetch(`http://127.0.0.1:${port}/api/data`, {
      method: "POST",
      headers: { "content-type": "application/tar+gzip" },
      body: rawTarGz([{ path: "f.txt", content: "x" }]),
    });
    expect(failed.status).toBe(500);
    server.kill("SIGTERM");
    expect(await exitOf(server)).toBe(0);
    const lines = server
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { level: number; err?: { stack?: string } } & Record<string, unknown>);
    const refusals = lines.filter((line) => JSON.stringify(line).includes("should be one of"));
    expect(refusals.length).toBeGreaterThan(0);
    for (const line of refusals) {
      expect(line.level).toBe(30);
      expect(JSON.stringify(line)).not.toMatch(/stack/);
    }
    const failures = lines.filter((line) => line.level === 50);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.err?.stack).toMatch(/\n\s+at /);

    const quietHome = await mkdtemp(join(tmpdir(), "knitfab-bin-"));
    const quietPort = await freePort();
    const quiet = run(["serve", "--port", String(quietPort)], { KNITFAB_HOME: quietHome });
    await waitFor(join(quietHome, "handout", "knitprofile"));
    expect((await fetch(`http://127.0.0.1:${quietPort}/api/runs?status=bogus`)).status).toBe(400);
    quiet.kill("SIGTERM");
    expect(await exitOf(quiet)).toBe(0);
    expect(quiet.output()).not.toMatch(/should be one of|stack/);
  });
});

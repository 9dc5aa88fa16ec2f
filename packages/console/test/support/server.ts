// Starts the real `knitfab serve` binary (built by `npm run build`) on a temporary home and a free port.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { consoleDistPath } from "../../dist-path.js";

const serverBinary = fileURLToPath(new URL("../../../server/dist/bin/knitfab.js", import.meta.url));

export { serverBinary };

export interface RunningServer {
  url: string;
  home: string;
  output: () => string;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`knitfab serve exited with ${child.exitCode}:\n${output()}`);
    // 401: serving, with access control on
    const ok = await fetch(`${url}/api/plans/`).then((r) => r.ok || r.status === 401, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`knitfab serve did not answer at ${url} within 90 s:\n${output()}`);
}

/**
 * `env` adds variables for the server process (DOCKER_HOST for the worker runtime, for example);
 * `home` serves an existing home (removed on stop all the same).
 */
export async function startKnitfab(env: Record<string, string> = {}, options: { home?: string } = {}): Promise<RunningServer> {
  if (!existsSync(serverBinary)) throw new Error(`${serverBinary} is missing: run "npm run build" at the repository root first`);
  if (!existsSync(join(consoleDistPath, "index.html"))) {
    throw new Error(`${consoleDistPath}/index.html is missing: run "npm run build" at the repository root first`);
  }
  const home = options.home ?? (await mkdtemp(join(tmpdir(), "knitfab-console-e2e-")));
  const port = await freePort();
  let log = "";
  const child = spawn(process.execPath, [serverBinary, "serve", "--home", home, "--port", String(port), "--console", consoleDistPath], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const output = () => log;
  try {
    await waitUntilServing(url, child, output);
  } catch (error) {
    child.kill("SIGKILL");
    await rm(home, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    home,
    output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}

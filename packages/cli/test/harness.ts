import { spawn, type ChildProcess } from "node:child_process";
import { access, mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { KNITFAB_BINARY, spawnServe, type ServeProcess } from "knitfab/test-support/serve-process";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
/** The installed `knit` command, which runs the bundle `npm run build` makes. */
export const KNIT = join(root, "packages/cli/bin/knit.cjs");
export const KNIT_BUNDLE = join(root, "packages/cli/dist/bundle/knit.cjs");
/** The built server binary. */
export const KNITFAB = KNITFAB_BINARY;

export type Server = ServeProcess;

/**
 * Starts the built `knitfab serve` (the shared harness, knitfab/test-support) in a temporary home on
 * a free port, once the `knit` bundle is known to be built too; `server.handout` is its profile.
 */
export async function startServer(options: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<Server> {
  if (!(await access(KNIT_BUNDLE).then(() => true, () => false))) throw new Error(`${KNIT_BUNDLE} is missing: run 'npm run build' first`);
  return spawnServe({ ...options, logLevel: "warn" });
}

export interface Result {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** A user of the built `knit`, with a HOME and a project folder of their own. */
export interface User {
  home: string;
  project: string;
  knit(args: string[], options?: { cwd?: string; stdin?: Buffer | string; env?: NodeJS.ProcessEnv }): Promise<Result>;
  /** Starts knit and returns the process, for interrupting it. */
  spawn(args: string[]): ChildProcess;
  /** Runs knit with a stdout reader that goes away after the first chunk, as `knit ... | head -c 1` does. */
  knitIntoClosingReader(args: string[]): Promise<Result>;
}

export async function newUser(): Promise<User> {
  const home = await mkdtemp(join(tmpdir(), "knit-e2e-user-"));
  const project = join(home, "project");
  await mkdir(project);
  const baseEnv = { PATH: process.env.PATH ?? "", HOME: home, TZ: "UTC" };
  return {
    home,
    project,
    spawn(args) {
      return spawn(process.execPath, [KNIT, ...args], { cwd: project, env: baseEnv, stdio: ["ignore", "pipe", "pipe"] });
    },
    knitIntoClosingReader(args) {
      return new Promise((resolveResult, reject) => {
        const child = spawn(process.execPath, [KNIT, ...args], { cwd: project, env: baseEnv, stdio: ["ignore", "pipe", "pipe"] });
        const first: Buffer[] = [];
        const err: Buffer[] = [];
        // Closing our end of the pipe is what `head` does when it has read enough.
        child.stdout.once("data", (chunk: Buffer) => {
          first.push(chunk);
          child.stdout.destroy();
        });
        child.stderr.on("data", (c: Buffer) => err.push(c));
        child.on("error", reject);
        child.on("close", (code, signal) => {
          const stdoutBytes = Buffer.concat(first);
          const stderr = Buffer.concat(err).toString("utf8") + (signal ? `\n(killed by ${signal})` : "");
          resolveResult({ code: code ?? -1, stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr });
        });
      });
    },
    knit(args, options = {}) {
      return new Promise((resolveResult, reject) => {
        const child = spawn(process.execPath, [KNIT, ...args], {
          cwd: options.cwd ?? project,
          env: { ...baseEnv, ...options.env },
          stdio: ["pipe", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (c: Buffer) => out.push(c));
        child.stderr.on("data", (c: Buffer) => err.push(c));
        child.on("error", reject);
        child.on("close", (code) => {
          const stdoutBytes = Buffer.concat(out);
          resolveResult({ code: code ?? -1, stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr: Buffer.concat(err).toString("utf8") });
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.stdin ?? "");
      });
    },
  };
}

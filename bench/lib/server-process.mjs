import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "./postgres.mjs";

const KNITFAB_BIN = fileURLToPath(new URL("../../packages/server/dist/bin/knitfab.js", import.meta.url));

/**
 * Runs `knitfab serve` as a child process (so its memory can be watched from outside, and so a load
 * generator does not share its event loop) and resolves once it listens. `extraArgs` go to `serve`
 * (e.g. `--role api`), `nodeArgs` to node (e.g. `--cpu-prof`). `stop()` sends SIGTERM and waits for the exit.
 */
export async function startServerProcess({ home, databaseUrl, extraArgs = [], nodeArgs = [] }) {
  const port = await freePort();
  const args = [...nodeArgs, KNITFAB_BIN, "serve", "--home", home, "--port", String(port), "--log-level", "warn", ...extraArgs];
  if (databaseUrl) args.push("--database-url", databaseUrl);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "pipe"] });
  let log = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`knitfab serve did not start within 60 s:\n${log}`)), 60_000);
    child.stderr.on("data", (chunk) => {
      log += chunk.toString();
      if (log.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`knitfab serve exited (${code}) before listening; did you run "npm run build"?\n${log}`));
    });
  });
  // Keep draining stderr so a chatty server never blocks on a full pipe.
  child.stderr.on("data", (chunk) => process.stderr.write(chunk));
  return {
    pid: child.pid,
    apiRoot: `http://127.0.0.1:${port}/api`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

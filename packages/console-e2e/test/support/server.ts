// The real `knitfab serve` binary (built by `npm run build`) serving the built console (found through
// the console package's export, as the server finds it), through the shared harness of the server's
// tests (knitfab/test-support).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { KNITFAB_BINARY, spawnServe, type ServeProcess } from "knitfab/test-support/serve-process";
import { consoleDistPath } from "@knitfab/console/dist-path";

export { KNITFAB_BINARY as serverBinary };
export type RunningServer = ServeProcess;

/**
 * `env` adds variables for the server process (DOCKER_HOST for the worker runtime, for example);
 * `home` serves an existing home, which then stays on stop (its owner removes it).
 */
export async function startKnitfab(env: NodeJS.ProcessEnv = {}, options: { home?: string } = {}): Promise<RunningServer> {
  if (!existsSync(join(consoleDistPath, "index.html"))) {
    throw new Error(`${consoleDistPath}/index.html is missing: run "npm run build" at the repository root first`);
  }
  return spawnServe({ env, consoleDir: consoleDistPath, logLevel: "warn", ...options });
}

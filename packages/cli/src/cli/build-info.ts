import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** What `knit version` and `knit license` print: from the package, and the commit it was built from. */
export interface BuildInfo {
  version: string;
  license: string;
  dependencies: string[];
  /** The git commit of the sources, or `unknown` outside a checkout. */
  commit: string;
}

/**
 * Written into the bundle by bundle.mjs (esbuild `define`), the way the reference's Go binary carries
 * its version: so `knit version` reads no file and starts no `git`. Unbundled code (the unit tests,
 * dist/ run directly) has none and reads them at run time instead.
 */
declare const KNIT_BUILD_INFO: BuildInfo | undefined;

export function buildInfo(): Promise<BuildInfo> {
  return typeof KNIT_BUILD_INFO === "undefined" ? readBuildInfo(dirname(dirname(dirname(fileURLToPath(import.meta.url))))) : Promise.resolve(KNIT_BUILD_INFO);
}

/** Reads the build information of the package in `packageDir` (which holds its package.json). */
export async function readBuildInfo(packageDir: string): Promise<BuildInfo> {
  const { readFile } = await import("node:fs/promises");
  const pkg = JSON.parse(await readFile(`${packageDir}/package.json`, "utf8")) as { version: string; license?: string; dependencies?: Record<string, string> };
  return {
    version: pkg.version,
    license: pkg.license ?? "Apache-2.0",
    dependencies: Object.keys(pkg.dependencies ?? {}),
    commit: await gitRevision(packageDir),
  };
}

async function gitRevision(dir: string): Promise<string> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve) => {
    execFile("git", ["rev-parse", "HEAD"], { cwd: dir }, (error, stdout) => resolve(error ? "unknown" : stdout.trim()));
  });
}

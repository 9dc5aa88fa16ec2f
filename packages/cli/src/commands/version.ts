import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { write } from "../cli/io.js";

const packageDir = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

async function packageJson(): Promise<{ version: string; license?: string; dependencies?: Record<string, string> }> {
  return JSON.parse(await readFile(`${packageDir}/package.json`, "utf8")) as { version: string };
}

/** The git revision of the checkout this knit runs from, or `unknown` outside a checkout. */
function gitRevision(): Promise<string> {
  return new Promise((resolve) => {
    execFile("git", ["rev-parse", "HEAD"], { cwd: packageDir }, (error, stdout) => resolve(error ? "unknown" : stdout.trim()));
  });
}

export function registerVersion(program: Command, runtime: Runtime): void {
  defineCommand(program, runtime, {
    name: "version",
    summary: "print the version of knit",
    examples: ["knit version"],
    run: async (context) => {
      const { version } = await packageJson();
      await write(context.io.stdout, `v${version} (commit: ${await gitRevision()})`);
    },
  });
  defineCommand(program, runtime, {
    name: "license",
    summary: "print the license of knit and the packages it is built from",
    examples: ["knit license"],
    run: async (context) => {
      const pkg = await packageJson();
      const lines = [
        `knit is licensed under ${pkg.license ?? "Apache-2.0"}.`,
        "",
        "It is built from these packages (see each package's own license):",
        ...Object.keys(pkg.dependencies ?? {}).map((name) => `  ${name}`),
        "",
      ];
      await write(context.io.stdout, lines.join("\n"));
    },
  });
}

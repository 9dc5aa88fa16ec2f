import type { Command } from "commander";
import { buildInfo } from "../cli/build-info.js";
import { defineCommand, type Runtime } from "../cli/define.js";

export function registerVersion(program: Command, runtime: Runtime): void {
  defineCommand(program, runtime, {
    name: "version",
    summary: "print the version of knit",
    examples: ["knit version"],
    run: async (context) => {
      const { version, commit } = await buildInfo();
      await context.io.print(`v${version} (commit: ${commit})`);
    },
  });
  defineCommand(program, runtime, {
    name: "license",
    summary: "print the license of knit and the packages it is built from",
    examples: ["knit license"],
    run: async (context) => {
      const { license, dependencies } = await buildInfo();
      const lines = [
        `knit is licensed under ${license}.`,
        "",
        "It is built from these packages (see each package's own license):",
        ...dependencies.map((name) => `  ${name}`),
        "",
      ];
      await context.io.print(lines.join("\n"));
    },
  });
}

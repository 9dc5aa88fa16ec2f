/** The helm and kubectl commands the installer runs, found once and reported clearly when missing. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export class InstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InstallError";
  }
}

export interface Tool {
  /** the command's path or name */
  readonly path: string;
  /** runs it; fails with an InstallError carrying the tool's own message */
  run(args: readonly string[]): Promise<string>;
}

/** A command by path or name (from PATH); checked by running `versionArgs`. */
export async function findTool(name: "helm" | "kubectl", path: string, versionArgs: readonly string[], hint: string): Promise<Tool> {
  const tool: Tool = {
    path,
    async run(args) {
      try {
        const { stdout } = await run(path, [...args], { maxBuffer: 256 * 1024 * 1024 });
        return stdout;
      } catch (error) {
        const failure = error as NodeJS.ErrnoException & { stderr?: string };
        if (failure.code === "ENOENT") throw new InstallError(`${name} not found (${path}): ${hint}`);
        throw new InstallError(`${name} ${args.slice(0, 2).join(" ")} failed: ${(failure.stderr ?? "").trim() || failure.message}`);
      }
    },
  };
  await tool.run(versionArgs);
  return tool;
}

export const findHelm = (path = process.env.HELM ?? "helm"): Promise<Tool> =>
  findTool("helm", path, ["version", "--short"], "install helm 3 or 4 (https://helm.sh), or give its path with --helm or HELM");

export const findKubectl = (path = process.env.KUBECTL ?? "kubectl"): Promise<Tool> =>
  findTool("kubectl", path, ["version", "--client"], "install kubectl, or give its path with KUBECTL");

/**
 * `knitfab data-agent`: the data agent of the pvc store (spec/api.md §4.4), run inside a short-lived
 * Pod that mounts one Data's claim, from the same server image as every other role. It serves one
 * request for the mounted folder and exits (see @knitfab/drivers' data-agent.ts for the routes).
 */
import { Command, Option } from "commander";
import { memoryToBytes } from "@knitfab/drivers";
import { ConfigError } from "./config-error.js";

interface DataAgentFlags {
  root?: string;
  path?: string;
  port?: string;
  mode?: string;
  deadline?: string;
  maxBytes?: string;
  maxEntries?: string;
  reserveBytes?: string;
}

export interface DataAgentConfig {
  root: string;
  port: number;
  mode: "read" | "write";
  deadlineSeconds: number;
  limits: { maxBytes?: number; maxEntries?: number; reserveBytes?: number };
}

/** Validated once, here: a bad flag stops the agent with a clear message before it listens. */
export function resolveDataAgentConfig(flags: DataAgentFlags): DataAgentConfig {
  const root = flags.root ?? flags.path;
  if (root === undefined || root === "") throw new ConfigError("--root (the folder to serve, the claim's mount point) is required");
  const mode = flags.mode;
  if (mode !== "read" && mode !== "write") throw new ConfigError(`--mode must be read or write, got "${mode ?? ""}"`);
  const port = Number(flags.port ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be a TCP port number (0-65535), got "${flags.port}"`);
  const deadlineSeconds = Number(flags.deadline ?? "180");
  if (!Number.isFinite(deadlineSeconds) || deadlineSeconds <= 0) throw new ConfigError(`--deadline must be a number of seconds above 0, got "${flags.deadline}"`);
  const limits: DataAgentConfig["limits"] = {};
  if (flags.maxBytes !== undefined) limits.maxBytes = size("--max-bytes", flags.maxBytes);
  if (flags.maxEntries !== undefined) limits.maxEntries = size("--max-entries", flags.maxEntries);
  if (flags.reserveBytes !== undefined) limits.reserveBytes = size("--reserve-bytes", flags.reserveBytes);
  return { root, port, mode, deadlineSeconds, limits };
}

function size(flag: string, text: string): number {
  let value: number;
  try {
    value = memoryToBytes(text);
  } catch {
    throw new ConfigError(`${flag} must be a number of bytes or a size such as 512Mi, got "${text}"`);
  }
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(`${flag} must be a number of bytes or a size such as 512Mi, got "${text}"`);
  return value;
}

export function registerDataAgentCommand(program: Command): void {
  program
    .command("data-agent")
    .description("Serve one mounted Data folder over HTTP for the pvc store (run inside a data-agent Pod): one request, then exit.")
    .addOption(new Option("--root <dir>", "the folder to serve (the claim's mount point)"))
    .addOption(new Option("--path <dir>", "the same as --root (the reference's flag)").hideHelp())
    .addOption(new Option("--port <port>", "TCP port (default 8080)"))
    .addOption(new Option("--mode <mode>", "read (GET / sends a tar.gz) or write (POST / receives one)"))
    .addOption(new Option("--deadline <seconds>", "stop when no request came within this many seconds (default 180)"))
    .addOption(new Option("--max-bytes <size>", "most bytes an upload may unpack to (default unlimited)"))
    .addOption(new Option("--max-entries <count>", "most entries in an upload (default unlimited)"))
    .addOption(new Option("--reserve-bytes <size>", "free space the volume keeps; uploads that would leave less are refused"))
    .action(async (flags: DataAgentFlags) => {
      let config: DataAgentConfig;
      try {
        config = resolveDataAgentConfig(flags);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(`knitfab data-agent: ${error.message}`);
        process.exit(2);
      }
      // loaded here, not at the top: every other knitfab command would pay for the Kubernetes client
      const { startDataAgent } = await import("@knitfab/drivers/kubernetes");
      const agent = await startDataAgent({ root: config.root, mode: config.mode, port: config.port, deadlineSeconds: config.deadlineSeconds, limits: config.limits });
      const stop = (): void => void agent.close().then(() => process.exit(0));
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
      const why = await agent.done;
      // The reference's agent gives the answer 30 s to drain; ours closes once the answer went out.
      await agent.close();
      if (why === "deadline") console.error(`knitfab data-agent: no request within ${config.deadlineSeconds}s; stopping`);
      process.exit(0);
    });
}

/**
 * Runs `knitfab admin …` commands of this folder in this process, as the command line would (the
 * same commander program), capturing what they print: spawning the server's command line costs
 * tens of seconds per call on a loaded machine.
 */
import { Command } from "commander";
import { registerInstallCommands } from "./commands.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runAdmin(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const program = new Command("knitfab")
    .exitOverride()
    .configureOutput({ writeOut: (text) => void (stdout += text), writeErr: (text) => void (stderr += text) });
  registerInstallCommands(program);
  const saved = { write: process.stdout.write, error: console.error, env: { ...process.env }, exitCode: process.exitCode };
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  console.error = (...parts: unknown[]) => void (stderr += `${parts.map(String).join(" ")}\n`);
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  process.exitCode = undefined;
  let code = 0;
  try {
    await program.parseAsync(["node", "knitfab", "admin", ...args]);
    code = typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    const exit = (error as { exitCode?: number }).exitCode;
    if (exit === undefined) throw error;
    code = exit;
  } finally {
    process.stdout.write = saved.write;
    console.error = saved.error;
    process.env = saved.env;
    process.exitCode = saved.exitCode;
  }
  return { code, stdout, stderr };
}

import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";

/** A free TCP port on the loopback interface (closed again before it is handed out). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Runs "$@" under a shell that also watches its own standard input: that is a pipe from this Node
 * process, so when Node dies without closing the control plane (a killed test worker), the pipe
 * reaches end-of-file and the shell ends the program instead of leaving it running on the machine.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" </dev/null & child=$!',
  '( read -r _ <&3; kill -TERM "$child" 2>/dev/null ) & watcher=$!',
  'wait "$child"; status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join("\n");

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Where its standard output and error go. */
  readonly logFile: string;
  /** Set once it has exited. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Stops the whole process group: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a program in a process group of its own, its output appended to `logFile`. */
export function startProcess(name: string, command: string, args: readonly string[], logFile: string): ManagedProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const child: ChildProcess = spawn("sh", ["-c", WATCHDOG, name, command, ...args], {
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const closed = new Promise<void>((resolve) => {
    child.on("close", (code, signal) => {
      exit = { code, signal };
      log.end();
      resolve();
    });
    child.on("error", (error) => {
      exit = { code: null, signal: null };
      log.write(`kube-testing: could not start ${command}: ${error.message}\n`);
      log.end();
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`kube-testing: could not start ${name} (${command})`);
  const pid = child.pid;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  return {
    name,
    pid,
    logFile,
    exited: () => exit,
    async stop(graceMs = 10_000) {
      if (exit) return;
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      await closed;
      clearTimeout(timer);
      // Anything the program left in its group (it should be nothing) goes too.
      signalGroup("SIGKILL");
      child.stdin?.destroy();
    },
  };
}

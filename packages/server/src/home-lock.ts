import { createHash } from "node:crypto";
import { realpath, rm } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";

/** The home is held by a live process; the message names it and says what to do. */
export class HomeLockedError extends Error {
  override name = "HomeLockedError";
}

/**
 * Holds the home folder for this process, so two processes never open its PGlite files together.
 *
 * The lock is a listening unix socket, which the operating system releases with the process however
 * it ends (a pid file outlives a killed process, and a dying or unreaped one still looks alive). On
 * Linux the socket lives in the abstract namespace under a name derived from the home's real path;
 * elsewhere it is a socket file in the home, and a file nobody listens on any more is stale and
 * replaced. Whoever holds the lock answers a connection with its pid, for the refusal message.
 * Returns the release function.
 */
export async function lockHome(home: string): Promise<() => Promise<void>> {
  const real = await realpath(home);
  const abstract = process.platform === "linux";
  const address = abstract ? `\0knitfab-home-${createHash("sha256").update(real).digest("hex").slice(0, 32)}` : join(real, "knitfab.lock");
  // An asker that hangs up before the answer is written must not bring the holder down (EPIPE).
  const server = createServer((socket) => socket.on("error", () => undefined).end(`${process.pid}\n`));
  server.unref();
  try {
    await listen(server, address);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    const holder = await askHolder(address);
    if (holder === undefined && !abstract) {
      // A socket file left by a process that is gone: nobody answers, so it is stale.
      await rm(address, { force: true });
      return lockHome(home);
    }
    throw new HomeLockedError(
      `another knitfab (pid ${holder ?? "unknown"}) is using ${home}; stop it first, or pass a different --home`,
    );
  }
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(address, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** The pid the lock's holder answers with; undefined when nobody answers (a stale socket file). */
function askHolder(address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(address);
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    socket.on("error", () => resolve(undefined));
    socket.on("close", () => resolve(answer.trim() === "" ? "unknown" : answer.trim()));
  });
}

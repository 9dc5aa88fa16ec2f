/**
 * The admin socket of a server on the embedded database. PGlite lives inside the server's process,
 * so `knitfab admin` cannot open it while the server runs; it asks the server instead, over a unix
 * socket in the home folder that only the home's owner may use (mode 0600). One request per
 * connection, JSON lines both ways: the request `{op, args}`, then progress, dump rows, and one
 * result or error. A client that goes away aborts what it asked for (a freeze stays in force).
 */
import { chmod, rm } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { DumpSink, FrozenBy, LiftReport } from "@knitfab/db";
import type { AdminOperations, FreezeOutcome, FreezeRequest, StatusReport, TokenView } from "./operations.js";

export const ADMIN_SOCKET_NAME = "admin.sock";

type Request =
  | { op: "status" }
  | { op: "freeze"; args: FreezeRequest }
  | { op: "unfreeze"; args: { onlyBy?: FrozenBy } }
  | { op: "dump" }
  | { op: "token-create"; args: { name: string } }
  | { op: "token-list" }
  | { op: "token-revoke"; args: { id: string } };

type Message =
  | { type: "progress"; message: string }
  | { type: "table"; name: string }
  | { type: "rows"; rows: string[] }
  | { type: "result"; value: unknown }
  | { type: "error"; message: string };

export function adminSocketPath(home: string): string {
  return join(home, ADMIN_SOCKET_NAME);
}

/** Unix socket paths are short (108 bytes on Linux). */
const MAX_SOCKET_PATH = 100;

/**
 * Serves `operations` on HOME/admin.sock. The caller holds the home (lockHome), so a socket file
 * there is a stale one and is replaced. Returns the closer, or undefined when the path is too long
 * for a unix socket (then `knitfab admin` needs the server stopped, and says so).
 */
export async function startAdminSocket(
  home: string,
  operations: AdminOperations,
  log: (message: string, error?: unknown) => void,
): Promise<(() => Promise<void>) | undefined> {
  const path = adminSocketPath(home);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    log(`the home path is too long for an admin socket (${path}); knitfab admin works on this home only while the server is stopped`);
    return undefined;
  }
  await rm(path, { force: true });
  const server: Server = createServer((socket) => void serve(socket, operations).catch((error: unknown) => log("admin socket: request failed", error)));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  server.unref();
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(path, { force: true });
  };
}

async function serve(socket: Socket, operations: AdminOperations): Promise<void> {
  const abort = new AbortController();
  socket.on("close", () => abort.abort());
  socket.on("error", () => abort.abort());
  const send = (message: Message) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      if (socket.write(`${JSON.stringify(message)}\n`)) resolve();
      else socket.once("drain", () => resolve());
    });
  const [line] = await readLines(socket, 1).catch(() => [] as string[]);
  const request = parseRequest(line);
  if (!request) {
    socket.end(`${JSON.stringify({ type: "error", message: "bad request" })}\n`);
    return;
  }
  try {
    let value: unknown;
    switch (request.op) {
      case "status":
        value = await operations.status();
        break;
      case "freeze":
        value = await operations.freeze(request.args, (message) => void send({ type: "progress", message }), abort.signal);
        break;
      case "unfreeze":
        value = await operations.unfreeze(request.args.onlyBy);
        break;
      case "dump":
        value = await operations.dump({
          table: async (name) => {
            if (abort.signal.aborted) throw new Error("the admin client went away");
            await send({ type: "table", name });
          },
          rows: async (rows) => {
            if (abort.signal.aborted) throw new Error("the admin client went away");
            await send({ type: "rows", rows });
          },
        });
        break;
      case "token-create":
        value = await operations.createToken(request.args.name);
        break;
      case "token-list":
        value = await operations.listTokens();
        break;
      case "token-revoke":
        // JSON has no undefined: null says "no such token"
        value = (await operations.revokeToken(request.args.id)) ?? null;
        break;
    }
    await send({ type: "result", value });
  } catch (error) {
    await send({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
  socket.end();
}

const FROZEN_BY: readonly FrozenBy[] = ["admin", "backup"];

/** The one request of a connection, checked here: anything else is a bad request. */
function parseRequest(line: string | undefined): Request | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line ?? "");
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { op, args } = value as { op?: unknown; args?: unknown };
  const fields = (typeof args === "object" && args !== null ? args : {}) as Record<string, unknown>;
  const by = (field: unknown): field is FrozenBy => FROZEN_BY.includes(field as FrozenBy);
  switch (op) {
    case "status":
    case "dump":
    case "token-list":
      return { op };
    case "token-create":
      return typeof fields.name === "string" ? { op, args: { name: fields.name } } : undefined;
    case "token-revoke":
      return typeof fields.id === "string" ? { op, args: { id: fields.id } } : undefined;
    case "freeze":
      return by(fields.by) && typeof fields.wait === "boolean" ? { op, args: { by: fields.by, wait: fields.wait } } : undefined;
    case "unfreeze":
      if (fields.onlyBy === undefined) return { op, args: {} };
      return by(fields.onlyBy) ? { op, args: { onlyBy: fields.onlyBy } } : undefined;
    default:
      return undefined;
  }
}

/** Reads up to `count` lines from the socket (then leaves it alone). */
async function readLines(socket: Socket, count: number): Promise<string[]> {
  const lines: string[] = [];
  let buffered = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let at: number;
      while ((at = buffered.indexOf("\n")) >= 0 && lines.length < count) {
        lines.push(buffered.slice(0, at));
        buffered = buffered.slice(at + 1);
      }
      if (lines.length >= count) {
        socket.off("data", onData);
        resolve(lines);
      }
    };
    socket.on("data", onData);
    socket.once("end", () => resolve(lines));
    socket.once("error", reject);
  });
}

/** Whether a server answers on HOME/admin.sock. */
export async function adminSocketAnswers(home: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(adminSocketPath(home));
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** AdminOperations carried out by the server listening on HOME/admin.sock. */
export function remoteOperations(home: string): AdminOperations {
  const path = adminSocketPath(home);
  async function call(request: Request, handlers: { progress?: (message: string) => void; sink?: DumpSink; signal?: AbortSignal } = {}): Promise<unknown> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    const onAbort = () => socket.destroy();
    handlers.signal?.addEventListener("abort", onAbort, { once: true });
    socket.write(`${JSON.stringify(request)}\n`);
    try {
      let buffered = "";
      // Iterating the socket reads only as fast as the sink writes: memory stays flat.
      for await (const chunk of socket as AsyncIterable<Buffer>) {
        buffered += chunk.toString("utf8");
        let at: number;
        while ((at = buffered.indexOf("\n")) >= 0) {
          const message = JSON.parse(buffered.slice(0, at)) as Message;
          buffered = buffered.slice(at + 1);
          switch (message.type) {
            case "progress":
              handlers.progress?.(message.message);
              break;
            case "table":
              await handlers.sink?.table(message.name);
              break;
            case "rows":
              await handlers.sink?.rows(message.rows);
              break;
            case "result":
              return message.value;
            case "error":
              throw new Error(message.message);
          }
        }
      }
      throw new Error(handlers.signal?.aborted ? "interrupted" : "the server closed the admin socket without an answer (did it stop?)");
    } finally {
      handlers.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
    }
  }
  return {
    status: async () => (await call({ op: "status" })) as StatusReport,
    freeze: async (args, progress, signal) => (await call({ op: "freeze", args }, { progress, ...(signal ? { signal } : {}) })) as FreezeOutcome,
    unfreeze: async (onlyBy) => (await call({ op: "unfreeze", args: onlyBy ? { onlyBy } : {} })) as LiftReport,
    dump: async (sink) => (await call({ op: "dump" }, { sink })) as Awaited<ReturnType<AdminOperations["dump"]>>,
    createToken: async (name) => (await call({ op: "token-create", args: { name } })) as { secret: string; token: TokenView },
    listTokens: async () => (await call({ op: "token-list" })) as TokenView[],
    revokeToken: async (id) => ((await call({ op: "token-revoke", args: { id } })) as TokenView | null) ?? undefined,
  };
}

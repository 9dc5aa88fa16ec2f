import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

const PG_BIN = process.env.KNITFAB_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresServer {
  /** URL of the `postgres` maintenance database; use `databaseUrl(name)` for others. */
  readonly url: string;
  databaseUrl(database: string): string;
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /**
   * The address it listens on and its URLs name (default 127.0.0.1). Another address (this
   * machine's external one, say) also lets in clients of the networks this machine is on
   * (pg_hba `samenet`), such as containers on Podman's bridges.
   */
  readonly address?: string;
}

/**
 * Starts a real PostgreSQL in a temporary folder (initdb + pg_ctl). PostgreSQL refuses to run as
 * root, so as root the cluster is owned by and run as the `postgres` system user.
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const address = options.address ?? "127.0.0.1";
  const dir = mkdtempSync(join(tmpdir(), "knitfab-pg-"));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]): SpawnSyncReturns<string> => {
    const full = asRoot ? ["-u", "postgres", "--", join(PG_BIN, command), ...args] : args;
    const result = spawnSync(asRoot ? "runuser" : join(PG_BIN, command), full, { encoding: "utf8" });
    if (result.status !== 0) {
      throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}\nIs PostgreSQL 15 installed at ${PG_BIN}?`);
    }
    return result;
  };
  run("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  writeFileSync(
    join(dataDir, "postgresql.auto.conf"),
    [
      `port = ${port}`,
      `listen_addresses = '${address}'`,
      `unix_socket_directories = '${dir}'`,
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "max_connections = 300",
      "shared_buffers = 256MB",
    ].join("\n") + "\n",
  );
  if (address !== "127.0.0.1") appendFileSync(join(dataDir, "pg_hba.conf"), "host all all samenet trust\n");
  run("pg_ctl", ["-D", dataDir, "-l", join(dir, "log"), "-w", "-t", "60", "start"]);
  const base = `postgres://postgres@${address}:${port}`;
  return {
    url: `${base}/postgres`,
    databaseUrl: (database) => `${base}/${database}`,
    async stop() {
      await new Promise<void>((resolve) => {
        const args = ["-D", dataDir, "-m", "immediate", "-w", "stop"];
        const child = asRoot
          ? spawn("runuser", ["-u", "postgres", "--", join(PG_BIN, "pg_ctl"), ...args], { stdio: "ignore" })
          : spawn(join(PG_BIN, "pg_ctl"), args, { stdio: "ignore" });
        child.on("exit", () => resolve());
        child.on("error", () => resolve());
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

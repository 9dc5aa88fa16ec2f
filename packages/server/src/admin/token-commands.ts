import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { mkdir, open, readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { listApiTokens, migrate, openDatabase, revokeApiToken, type ApiTokenRecord, type Database } from "@knitfab/db";
import { lockHome, HomeLockedError } from "../home-lock.js";
import { handoutText } from "../handout.js";
import { createApiToken, tokenNameProblem } from "./tokens.js";

/** `knitfab admin`, made once whichever admin commands register under it. */
export function adminCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === "admin") ??
    program.command("admin").description("administration of a knitfab installation (see README, \"Administration\")")
  );
}

interface DatabaseFlags {
  home?: string;
  databaseUrl?: string;
}

/** `knitfab admin token create|list|revoke`: the API tokens of `knitfab serve --auth tokens`. */
export function registerTokenCommands(program: Command): void {
  const token = adminCommand(program)
    .command("token")
    .description(
      "API tokens for 'knitfab serve --auth tokens'. Only a token's SHA-256 is stored: its secret is shown once, at creation. " +
        "With the embedded database (no --database-url) stop the server first; with PostgreSQL it may run, and a revoked token stops working at once.",
    );
  const withDatabase = (command: Command) =>
    command
      .addOption(new Option("--home <dir>", "the server's home (default: ~/.knitfab)").env("KNITFAB_HOME"))
      .addOption(new Option("--database-url <url>", "the server's PostgreSQL, instead of the embedded database under --home").env("KNITFAB_DATABASE_URL"));

  withDatabase(token.command("create"))
    .description("create a token and print its secret (once: it cannot be shown again)")
    .option("--name <name>", "what the token is for, e.g. who holds it", "")
    .option("--handout <file>", "also write a knitprofile with the token (the server's handout plus 'token:') to FILE (mode 0600), for 'knit init FILE'")
    .action(async (flags: DatabaseFlags & { name: string; handout?: string }) => {
      const problem = tokenNameProblem(flags.name);
      if (problem) fail(problem);
      const home = homeOf(flags);
      // the handout is read first: a missing one changes nothing
      const handout = flags.handout === undefined ? undefined : await readHandout(home);
      // the first token may be made before the server ever started: the home is made here then
      await mkdir(home, { recursive: true });
      const { secret, token } = await withTokenDatabase(flags, (database) => createApiToken(database, flags.name));
      if (flags.handout !== undefined && handout !== undefined) {
        const file = resolve(flags.handout);
        await writeNewFile(file, handoutText(handout.apiRoot, { ...(handout.caPem ? { caPem: handout.caPem } : {}), token: secret }));
        console.error(`knitfab: token ${token.tokenId} created; profile with it written to ${file} (give it to its user: 'knit init ${file}')`);
      } else {
        console.error(`knitfab: token ${token.tokenId} created; its secret follows, shown this once only:`);
      }
      process.stdout.write(`${secret}\n`);
    });

  withDatabase(token.command("list"))
    .description("list tokens: id, name, created, last used, revoked (never their secrets)")
    .option("--json", "print JSON")
    .action(async (flags: DatabaseFlags & { json?: boolean }) => {
      const tokens = await withTokenDatabase(flags, (database) => listApiTokens(database.db));
      process.stdout.write(flags.json ? `${JSON.stringify(tokens.map(tokenJson), null, 2)}\n` : tokenTable(tokens));
    });

  withDatabase(token.command("revoke"))
    .description("revoke a token by id: requests with it are refused from now on")
    .argument("<id>", "the token's id (see 'knitfab admin token list')")
    .action(async (id: string, flags: DatabaseFlags) => {
      const revoked = await withTokenDatabase(flags, (database) => revokeApiToken(database.db, id));
      if (!revoked) fail(`no token has the id "${id}"; see 'knitfab admin token list'`);
      console.error(`knitfab: token ${revoked.tokenId}${revoked.name ? ` (${revoked.name})` : ""} is revoked since ${revoked.revokedAt?.toISOString()}`);
    });
}

function homeOf(flags: DatabaseFlags): string {
  return resolve(flags.home ?? join(homedir(), ".knitfab"));
}

function fail(message: string): never {
  console.error(`knitfab: ${message}`);
  process.exit(1);
}

/** Opens the server's database (holding the home as the server does, for PGlite), migrated. */
async function withTokenDatabase<T>(flags: DatabaseFlags, work: (database: Database) => Promise<T>): Promise<T> {
  if (flags.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(flags.databaseUrl)) fail(`--database-url must be a postgres:// URL, got "${flags.databaseUrl}"`);
  const home = homeOf(flags);
  let release = async () => {};
  if (!flags.databaseUrl) {
    try {
      release = await lockHome(home);
    } catch (error) {
      if (error instanceof HomeLockedError) {
        fail(`${error.message}. The embedded database can be opened by one process at a time: stop the server, run this command, start it again`);
      }
      if ((error as NodeJS.ErrnoException).code === "ENOENT") fail(`${home} does not exist: start 'knitfab serve --home ${home}' once, or pass the right --home`);
      throw error;
    }
  }
  let database: Database | undefined;
  try {
    database = await openDatabase(flags.databaseUrl ? { url: flags.databaseUrl, poolSize: 1 } : { dataDir: join(home, "db") });
    await migrate(database);
    return await work(database);
  } finally {
    await database?.close();
    await release();
  }
}

/** The apiRoot and CA of the server's handout profile. */
async function readHandout(home: string): Promise<{ apiRoot: string; caPem: string | undefined }> {
  const path = join(home, "handout", "knitprofile");
  const text = await readFile(path, "utf8").catch(() => fail(`${path} is missing: start 'knitfab serve --home ${home}' once, so that it writes the handout`));
  const apiRoot = /^apiRoot: *(\S+)$/m.exec(text)?.[1];
  if (apiRoot === undefined) fail(`${path} has no apiRoot`);
  const ca = /^ {2}ca: *(\S+)$/m.exec(text)?.[1];
  return { apiRoot, caPem: ca === undefined ? undefined : Buffer.from(ca, "base64").toString("utf8") };
}

/** Writes a file that must not exist yet, readable by its owner only (it holds a secret). */
async function writeNewFile(path: string, text: string): Promise<void> {
  const handle = await open(path, "wx", 0o600).catch((error: NodeJS.ErrnoException) =>
    fail(error.code === "EEXIST" ? `${path} exists; choose another --handout file (it is never overwritten)` : `cannot write ${path}: ${error.message}`),
  );
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

function tokenJson(token: ApiTokenRecord) {
  return {
    id: token.tokenId,
    name: token.name,
    created: token.createdAt.toISOString(),
    lastUsed: token.lastUsedAt?.toISOString() ?? null,
    revoked: token.revokedAt?.toISOString() ?? null,
  };
}

function tokenTable(tokens: readonly ApiTokenRecord[]): string {
  const rows = [["ID", "NAME", "CREATED", "LAST USED", "REVOKED"], ...tokens.map((token) => {
    const json = tokenJson(token);
    return [json.id, json.name, json.created, json.lastUsed ?? "-", json.revoked ?? "-"];
  })];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n") + "\n";
}

import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { mkdir, open, readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { migrate } from "@knitfab/db";
import { openAdminConnection } from "./connection.js";
import type { AdminOperations, TokenView } from "./operations.js";
import { handoutText } from "../handout.js";
import { tokenNameProblem } from "./tokens.js";

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
        "They work while the server runs (the embedded database is reached through the server's admin socket), and a revoked token stops working at once.",
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
      const { secret, token } = await withTokenOperations(flags, (operations) => operations.createToken(flags.name));
      if (flags.handout !== undefined && handout !== undefined) {
        const file = resolve(flags.handout);
        await writeNewFile(file, handoutText(handout.apiRoot, { ...(handout.caPem ? { caPem: handout.caPem } : {}), token: secret }));
        console.error(`knitfab: token ${token.id} created; profile with it written to ${file} (give it to its user: 'knit init ${file}')`);
      } else {
        console.error(`knitfab: token ${token.id} created; its secret follows, shown this once only:`);
      }
      process.stdout.write(`${secret}\n`);
    });

  withDatabase(token.command("list"))
    .description("list tokens: id, name, created, last used, revoked (never their secrets)")
    .option("--json", "print JSON")
    .action(async (flags: DatabaseFlags & { json?: boolean }) => {
      const tokens = await withTokenOperations(flags, (operations) => operations.listTokens());
      process.stdout.write(flags.json ? `${JSON.stringify(tokens, null, 2)}\n` : tokenTable(tokens));
    });

  withDatabase(token.command("revoke"))
    .description("revoke a token by id: requests with it are refused from now on")
    .argument("<id>", "the token's id (see 'knitfab admin token list')")
    .action(async (id: string, flags: DatabaseFlags) => {
      const revoked = await withTokenOperations(flags, (operations) => operations.revokeToken(id));
      if (!revoked) fail(`no token has the id "${id}"; see 'knitfab admin token list'`);
      console.error(`knitfab: token ${revoked.id}${revoked.name ? ` (${revoked.name})` : ""} is revoked since ${revoked.revoked}`);
    });
}

function homeOf(flags: DatabaseFlags): string {
  return resolve(flags.home ?? join(homedir(), ".knitfab"));
}

function fail(message: string): never {
  console.error(`knitfab: ${message}`);
  process.exit(1);
}

/**
 * Works on the server's database as every `knitfab admin` command does (see connection.ts): through
 * the running server's admin socket for the embedded database, else opened here, holding the home.
 * A database opened here is migrated first: the first token may be made before the server ever ran.
 */
async function withTokenOperations<T>(flags: DatabaseFlags, work: (operations: AdminOperations) => Promise<T>): Promise<T> {
  if (flags.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(flags.databaseUrl)) fail(`--database-url must be a postgres:// URL, got "${flags.databaseUrl}"`);
  const connection = await openAdminConnection({ home: homeOf(flags), databaseUrl: flags.databaseUrl }, { create: true }).catch((error: unknown) =>
    fail(error instanceof Error ? error.message : String(error)),
  );
  try {
    if (connection.database) await migrate(connection.database);
    return await work(connection.operations);
  } finally {
    await connection.close();
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

function tokenTable(tokens: readonly TokenView[]): string {
  const rows = [["ID", "NAME", "CREATED", "LAST USED", "REVOKED"], ...tokens.map((json) => [json.id, json.name, json.created, json.lastUsed ?? "-", json.revoked ?? "-"])];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n") + "\n";
}

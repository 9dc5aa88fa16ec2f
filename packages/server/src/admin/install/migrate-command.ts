/**
 * `knitfab admin migrate`: brings a PostgreSQL database's schema up to this version and exits. The
 * chart runs it as a hook Job before each upgrade, so the new pods find the schema ready; servers
 * migrate at start too, under the same advisory lock, so running both is safe.
 */
import { Option, type Command } from "commander";
import { migrate, openDatabase } from "@knitfab/db";

/** Migrates the database at `url`; returns the schema version it is at afterwards. */
export async function migrateDatabase(url: string): Promise<number> {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`--database-url must be a postgres:// URL, got "${url}"`);
  const database = await openDatabase({ url, poolSize: 1 });
  try {
    return await migrate(database);
  } finally {
    await database.close();
  }
}

export function registerMigrateCommand(admin: Command): void {
  admin
    .command("migrate")
    .summary("bring a PostgreSQL database's schema up to this version, then exit")
    .description(
      "Apply the schema migrations of this knitfab version to the PostgreSQL database and exit: the Helm chart's " +
        "pre-upgrade Job. Safe to repeat and to run while servers start (one transaction under a lock). " +
        "The PostgreSQL client's PGUSER and PGPASSWORD fill in what the URL leaves out.",
    )
    .addOption(new Option("--database-url <url>", "the PostgreSQL database (postgres://user:pass@host:5432/db)").env("KNITFAB_DATABASE_URL"))
    .action(async (flags: { databaseUrl?: string }) => {
      if (!flags.databaseUrl) {
        console.error("knitfab: give --database-url (or KNITFAB_DATABASE_URL): the PostgreSQL database to migrate");
        process.exitCode = 2;
        return;
      }
      try {
        const version = await migrateDatabase(flags.databaseUrl);
        console.error(`knitfab: database schema at version ${version}`);
      } catch (error) {
        console.error(`knitfab: migration failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}

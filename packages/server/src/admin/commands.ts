/** `knitfab admin freeze|unfreeze|status|backup|restore`: registered on the server's command line. */
import { createInterface } from "node:readline/promises";
import { Command, Option } from "commander";
import { ConfigError, resolveServeConfig } from "../config.js";
import { backup } from "./backup.js";
import { AdminError, openAdminConnection, type AdminConnection, type AdminTarget } from "./connection.js";
import { localImageEngine } from "./images.js";
import { formatBytes, streamProgress } from "./progress.js";
import { checkTarget, describeRestore, restore, verifyBackup } from "./restore.js";

interface TargetFlags {
  home?: string;
  databaseUrl?: string;
}

/** The `admin` command: found if another module registered it already, else made. */
export function adminCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === "admin") ??
    program.command("admin").description("administration of a knitfab installation (run on the machine of its server)")
  );
}

const targetOptions = (command: Command): Command =>
  command
    .addOption(new Option("--home <dir>", "the home knitfab serve uses (default: ~/.knitfab)").env("KNITFAB_HOME"))
    .addOption(new Option("--database-url <url>", "the PostgreSQL database knitfab serve uses, if not the embedded one").env("KNITFAB_DATABASE_URL"));

export function registerAdminCommands(program: Command): void {
  const admin = adminCommand(program);

  targetOptions(
    admin
      .command("freeze")
      .summary("stop taking work (runs, API writes) and wait until every run has ended")
      .description(
        "Freeze the system: no run is created or started any more, every write through the API is answered 503 (reads keep working), " +
          "runs that are ready, starting or running are stopped (they fail, as the reference's freeze does) and the command waits until " +
          "every run has ended. Works while the server runs; safe to repeat and to interrupt (the freeze holds from its first step).",
      ),
  )
    .option("--no-wait", "return once the freeze is in force, without waiting for stopped runs to end")
    .addHelpText("after", "\nUndo with: knitfab admin unfreeze (retries the runs the freeze stopped).")
    .action(async (flags: TargetFlags & { wait: boolean }) =>
      withConnection(flags, {}, async (connection) => {
        const abort = interruptible();
        const wait = flags.wait && connection.serverMayRun;
        const outcome = await connection.operations.freeze({ by: "admin", wait }, (message) => say(message), abort.signal);
        if (outcome.unsettledRuns > 0 && !connection.serverMayRun) {
          say(`frozen; no server runs on this home: the ${outcome.unsettledRuns} run(s) still active are stopped when it starts (frozen)`);
        } else if (outcome.unsettledRuns > 0) {
          say(`the freeze is in force; ${outcome.unsettledRuns} run(s) are still ending (run knitfab admin freeze again to wait for them)`);
        } else say(`frozen (${connection.describe}); ${outcome.freeze.stoppedRuns} run(s) stopped, to be retried by knitfab admin unfreeze`);
      }),
    );

  targetOptions(
    admin
      .command("unfreeze")
      .summary("undo a freeze, retrying the runs it stopped")
      .description("Undo a freeze: retries the runs it stopped, lets the loops create and start runs again and the API accept writes."),
  ).action(async (flags: TargetFlags) =>
    withConnection(flags, {}, async (connection) => {
      const report = await connection.operations.unfreeze(undefined);
      if (!report.lifted && report.retried.length === 0) return say("the system was not frozen; nothing to do");
      say(`unfrozen; ${report.retried.length} run(s) stopped by the freeze are retried`);
      for (const skipped of report.skipped) say(`  run ${skipped.runId} not retried: ${skipped.reason}`);
    }),
  );

  targetOptions(admin.command("status").summary("is the system frozen, since when, by whom").description("Say whether the system is frozen, since when and by whom, and how many runs are active.")).action(
    async (flags: TargetFlags) =>
      withConnection(flags, {}, async (connection) => {
        const status = await connection.operations.status();
        const freeze = status.freeze;
        console.log(
          freeze
            ? `${freeze.state} since ${freeze.frozenAt} by ${freeze.frozenBy === "admin" ? "an administrator" : "a backup"}; ${freeze.stoppedRuns} run(s) to retry on unfreeze`
            : "not frozen",
        );
        console.log(`${status.unsettledRuns} run(s) ready, starting, running, aborting or completing`);
      }),
  );

  targetOptions(
    admin
      .command("backup")
      .summary("back up the database, Data and task images into DIR (frozen meanwhile)")
      .argument("<dir>", "folder to write the backup into: new, empty, or an interrupted backup to resume")
      .description(
        "Back up the whole installation into DIR: the database (plans, runs, Data, tags, lineage), every Data's content and the task " +
          "images Plans name (from the local Docker or Podman). The system is frozen meanwhile (runs in progress are stopped and retried " +
          "afterwards) unless it was frozen already, and only a freeze of its own is lifted. DIR holds INCOMPLETE until it is done.",
      ),
  )
    .option("--no-images", "leave the task images out")
    .addHelpText(
      "after",
      "\nLayout: manifest.json (versions, counts, sizes), database/NN-<table>.jsonl, data/<knitId>.tar.gz, images/NNN.tar,\n" +
        "SHA256SUMS (check with: cd DIR && sha256sum -c SHA256SUMS). Restore with: knitfab admin restore DIR",
    )
    .action(async (dir: string, flags: TargetFlags & { images: boolean }) =>
      withConnection(flags, {}, async (connection, target) => {
        const abort = interruptible();
        const result = await backup({
          dir,
          connection,
          backend: target.databaseUrl ? "postgres" : "pglite",
          images: flags.images ? localImageEngine() : undefined,
          progress: streamProgress("backup"),
          signal: abort.signal,
        });
        const { manifest } = result;
        const missing = manifest.images.filter((image) => "missing" in image).length;
        say(
          `backup complete in ${result.dir}: ${manifest.database.tables.reduce((sum, table) => sum + table.rows, 0)} rows, ` +
            `${manifest.data.count} Data (${formatBytes(manifest.data.bytes)}), ${manifest.images.length - missing} image(s)` +
            `${missing > 0 ? ` (${missing} not saved)` : ""}; ${manifest.totals.files} files, ${formatBytes(manifest.totals.bytes)}`,
        );
      }),
    );

  targetOptions(
    admin
      .command("restore")
      .summary("restore a backup into a fresh installation of this version")
      .argument("<dir>", "a complete backup written by knitfab admin backup")
      .description(
        "Restore a backup into a fresh installation of the same knitfab version (stop its server first when it uses the embedded " +
          "database). Every checksum is verified before anything is touched; a damaged or unfinished backup, another version, or a " +
          "target holding plans, runs or Data is refused with nothing changed. Shows what it will do and asks first.",
      ),
  )
    .option("-y, --yes", "do not ask (needed when standard input is no terminal)")
    .option("--no-images", "do not load the task images into the local container engine")
    .action(async (dir: string, flags: TargetFlags & { yes?: boolean; images: boolean }) => {
      const target = resolveTarget(flags);
      const progress = streamProgress("restore");
      const verified = await guard(() => verifyBackup(dir, progress));
      await withConnection(flags, { direct: true, create: true }, async (connection) => {
        const images = flags.images ? localImageEngine() : undefined;
        if (flags.images && !images && verified.manifest.images.some((image) => "file" in image)) {
          throw new AdminError("no container engine found to load the backup's images into; start one or pass --no-images");
        }
        await checkTarget(connection);
        const where = target.databaseUrl ? `the PostgreSQL database and ${target.home}` : target.home;
        console.error(describeRestore(verified, where, images !== undefined));
        if (!flags.yes) {
          if (!process.stdin.isTTY) throw new AdminError("standard input is no terminal: pass --yes to restore without asking");
          const question = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await question.question("Do you want to restore? [y/N] ");
          question.close();
          if (!/^y(es)?$/i.test(answer.trim())) return say("not restored");
        }
        await restore({ backup: verified, connection, images, progress });
        say(`restored; start knitfab serve on ${target.home}${target.databaseUrl ? " with the same --database-url" : ""}`);
      });
    });
}

function say(message: string): void {
  console.error(`knitfab: ${message}`);
}

function resolveTarget(flags: TargetFlags): AdminTarget {
  try {
    const config = resolveServeConfig({ ...(flags.home ? { home: flags.home } : {}), ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}) });
    return { home: config.home, databaseUrl: config.databaseUrl };
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
}

async function withConnection(
  flags: TargetFlags,
  options: { direct?: boolean; create?: boolean },
  work: (connection: AdminConnection, target: AdminTarget) => Promise<void>,
): Promise<void> {
  const target = resolveTarget(flags);
  const connection = await guard(() => openAdminConnection(target, options));
  let failure: unknown;
  try {
    await work(connection, target);
  } catch (error) {
    failure = error;
  } finally {
    await connection.close().catch(() => undefined);
  }
  if (failure !== undefined) fail(failure instanceof Error ? failure.message : String(failure), 1);
}

/** Runs `step`, turning an administrator's mistake into a message and exit status 1. */
async function guard<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error), 1);
  }
}

function fail(message: string, code: number): never {
  say(message);
  process.exit(code);
}

/** The first Ctrl-C (or SIGTERM) asks the command to stop cleanly; the second stops at once. */
function interruptible(): AbortController {
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    say("interrupted; finishing cleanly (again to stop at once)");
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return abort;
}

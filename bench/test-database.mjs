// How long a test takes to get its own migrated PGlite database: migrated fresh in memory (what every
// PGlite test database cost before) against loaded from a once-migrated data folder (what
// `testDatabase("pglite")` does now, from the tarball the test run's global setup makes). Rounds
// alternate between the two, so a busy machine weighs on both alike.
// Usage: node bench/test-database.mjs [--rounds 5]   (after `npm run build`)
import { parseArgs } from "node:util";
import { dumpPgliteDataDir, migrate, openDatabase } from "@knitfab/db";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const rounds = Number(values.rounds);

const template = await openDatabase({ dataDir: "memory://" });
await migrate(template);
const tarball = await dumpPgliteDataDir(template);
await template.close();

const timed = async (open) => {
  const started = performance.now();
  const database = await open();
  const ms = performance.now() - started;
  await database.close();
  return ms;
};
const fresh = [];
const loaded = [];
for (let round = 0; round < rounds; round++) {
  fresh.push(await timed(async () => {
    const database = await openDatabase({ dataDir: "memory://" });
    await migrate(database);
    return database;
  }));
  loaded.push(await timed(() => openDatabase({ dataDir: "memory://", loadDataDir: tarball })));
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
console.log(`template tarball: ${(tarball.size / 1024 / 1024).toFixed(1)} MiB`);
console.log(`migrated fresh:     median ${median(fresh).toFixed(0)} ms (${fresh.map((ms) => ms.toFixed(0)).join(", ")})`);
console.log(`loaded from template: median ${median(loaded).toFixed(0)} ms (${loaded.map((ms) => ms.toFixed(0)).join(", ")})`);
console.log(`ratio loaded / fresh: ${(median(loaded) / median(fresh)).toFixed(2)}`);

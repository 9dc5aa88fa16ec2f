/**
 * The offline PostgreSQL image (scripts/build-postgres-image.sh) does what the chart's database
 * Deployment asks of it, run here with real Podman and reached with this machine's psql: first start
 * initialises PGDATA from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB on a volume and listens on
 * every address with password authentication; the chart's readiness probe answers in it; a stop is a
 * fast shutdown; a later start on the same volume keeps the data (and its password); an empty
 * password or a name that is not plain is refused with a message, before anything is written.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("./build-postgres-image.sh", import.meta.url));
const PSQL = "/usr/lib/postgresql/15/bin/psql";
const suffix = randomBytes(4).toString("hex");
const VOLUME = `knitfab-pg-image-test-${suffix}`;
const made = [];
let image = "";

/** Runs a detached container of the image on `volume` with `env`; its name. */
async function start(env, volume = VOLUME) {
  const name = `knitfab-pg-image-test-${suffix}-${made.length}`;
  made.push(name);
  const envArgs = Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
  // As the chart mounts it: the claim at /var/lib/postgresql/data, PGDATA a folder inside it.
  await run("podman", ["run", "-d", "--name", name, ...envArgs, "-e", "PGDATA=/var/lib/postgresql/data/pgdata", "-v", `${volume}:/var/lib/postgresql/data`, image]);
  return name;
}

async function logs(name) {
  const { stdout, stderr } = await run("podman", ["logs", name]);
  return stdout + stderr;
}

async function waitForLog(name, text) {
  for (let tries = 0; tries < 240; tries++) {
    const log = await logs(name);
    if (log.includes(text)) return log;
    const { stdout } = await run("podman", ["inspect", "-f", "{{.State.Running}}", name]);
    if (stdout.trim() !== "true") throw new Error(`${name} ended before "${text}":\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} never logged "${text}":\n${await logs(name)}`);
}

async function address(name) {
  return (await run("podman", ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", name])).stdout.trim();
}

/** psql over TCP to the container, as a server pod connects (user and password, no socket). */
function psql(host, password, sql, user = "knit", database = "knit") {
  return run(PSQL, ["-h", host, "-U", user, "-d", database, "-tAc", sql], { env: { PGPASSWORD: password, PATH: process.env.PATH ?? "" } });
}

/** Runs the image until it exits; its exit code and output. */
async function exitOf(env) {
  const name = await start(env, `${VOLUME}-refused`);
  const { stdout } = await run("podman", ["wait", name]);
  return { code: Number(stdout.trim()), log: await logs(name) };
}

beforeAll(async () => {
  image = (await run("sh", [SCRIPT], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim().split("\n").pop() ?? "";
}, 300_000);

afterAll(async () => {
  for (const name of made) await run("podman", ["rm", "-f", "-t", "0", name]).catch(() => undefined);
  for (const volume of [VOLUME, `${VOLUME}-refused`]) await run("podman", ["volume", "rm", "-f", volume]).catch(() => undefined);
});

describe("the offline PostgreSQL image of the chart's database", () => {
  it("initialises the volume on first start, answers the chart's probe, serves the database with the password, keeps the data across a restart", async () => {
    const first = await start({ POSTGRES_USER: "knit", POSTGRES_PASSWORD: "first-secret", POSTGRES_DB: "knit" });
    const log = await waitForLog(first, "database system is ready to accept connections");
    expect(log).toContain("knitfab-postgres: initialising /var/lib/postgresql/data/pgdata (user knit, database knit)");
    expect(log).toContain('listening on IPv4 address "0.0.0.0", port 5432');
    // The chart's readiness probe, word for word.
    const probe = await run("podman", ["exec", first, "sh", "-c", 'pg_isready -U "$POSTGRES_USER" -d knit -h 127.0.0.1']);
    expect(probe.stdout).toContain("accepting connections");
    const host = await address(first);
    expect((await psql(host, "first-secret", "select current_user || ' ' || current_database()")).stdout.trim()).toBe("knit knit");
    await expect(psql(host, "wrong", "select 1")).rejects.toThrow(/password authentication failed for user "knit"/);
    await psql(host, "first-secret", "create table kept (value text); insert into kept values ('before the restart')");

    // Stopped as a kubelet stops it (the image's stop signal): a fast shutdown, sessions or not.
    await run("podman", ["stop", "-t", "30", first]);
    expect(await logs(first)).toContain("received fast shutdown request");

    // A new container on the same volume, with another password in its env: nothing is initialised again.
    const second = await start({ POSTGRES_USER: "knit", POSTGRES_PASSWORD: "another-secret", POSTGRES_DB: "knit" });
    const again = await waitForLog(second, "database system is ready to accept connections");
    expect(again).not.toContain("initialising");
    const secondHost = await address(second);
    expect((await psql(secondHost, "first-secret", "select value from kept")).stdout.trim()).toBe("before the restart");
    await expect(psql(secondHost, "another-secret", "select 1")).rejects.toThrow(/password authentication failed/);
  }, 180_000);

  it("refuses to initialise without a password, or with a name that is not plain, saying why", async () => {
    const empty = await exitOf({ POSTGRES_USER: "knit", POSTGRES_PASSWORD: "" });
    expect(empty.code).toBe(2);
    expect(empty.log).toContain("POSTGRES_PASSWORD is empty; set it to initialise one");
    const badName = await exitOf({ POSTGRES_USER: "knit", POSTGRES_PASSWORD: "x", POSTGRES_DB: 'knit"; drop' });
    expect(badName.code).toBe(2);
    expect(badName.log).toContain("is not a plain name");
    // Nothing was written: a later start with good values initialises the same volume.
    const good = await start({ POSTGRES_USER: "knit", POSTGRES_PASSWORD: "x", POSTGRES_DB: "knit" }, `${VOLUME}-refused`);
    expect(await waitForLog(good, "database system is ready to accept connections")).toContain("knitfab-postgres: initialising");
  }, 180_000);
});

import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPostgresDatabase } from "@knitfab/testing";
import { KNITFAB, newUser, startServer, type Result, type Server, type User } from "./harness.js";

/** Runs the built `knitfab` command. */
function knitfab(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KNITFAB, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code: code ?? -1, stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

/**
 * `knit` against `knitfab serve --auth tokens`: a profile without a token is told what to do, one
 * made by `knitfab admin token create --handout` pushes and finds, a revoked one is refused; over
 * TLS, the handout's CA and token are all a user needs.
 */
describe("knit with API tokens", () => {
  let server: Server;
  let user: User;
  let databaseUrl = "";

  beforeAll(async () => {
    databaseUrl = (await createTestPostgresDatabase()).url;
    server = await startServer({ args: ["--auth", "tokens", "--database-url", databaseUrl] });
    user = await newUser();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("says what to do when the profile has no token", async () => {
    expect((await user.knit(["init", server.handout])).code).toBe(0);
    const refused = await user.knit(["data", "find"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/requires an API token \(401 Unauthorized\), and this profile has none\nask the administrator of this Knitfab for a token, then run 'knit init'/);
  });

  it("pushes and finds with the profile 'knitfab admin token create --handout' writes, and is refused once it is revoked", async () => {
    const profile = join(user.home, "alice-knitprofile");
    const created = await knitfab(["admin", "token", "create", "--home", server.home, "--database-url", databaseUrl, "--name", "alice", "--handout", profile]);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^knitfab_[A-Za-z0-9_-]{43}$/);
    const text = await readFile(profile, "utf8");
    expect(text).toBe(`${await readFile(server.handout, "utf8")}token: ${secret}\n`);
    expect((await stat(profile)).mode & 0o777).toBe(0o600);
    // never overwritten
    const again = await knitfab(["admin", "token", "create", "--home", server.home, "--database-url", databaseUrl, "--handout", profile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; choose another --handout file/);

    expect((await user.knit(["init", profile])).code).toBe(0);
    const folder = join(user.project, "dataset");
    await mkdir(folder);
    await writeFile(join(folder, "a.txt"), "hello");
    const pushed = await user.knit(["data", "push", "-t", "owner:alice", folder]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const knitId = (JSON.parse(pushed.stdout) as { knitId: string }).knitId;
    const found = await user.knit(["data", "find", "-t", "owner:alice"]);
    expect(found.code, found.stderr).toBe(0);
    expect((JSON.parse(found.stdout) as { knitId: string }[]).map((data) => data.knitId)).toEqual([knitId]);

    const listed = await knitfab(["admin", "token", "list", "--database-url", databaseUrl, "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const tokens = JSON.parse(listed.stdout) as { id: string; name: string; created: string; lastUsed: string | null; revoked: string | null }[];
    const alice = tokens.find((token) => token.name === "alice");
    expect(alice?.revoked).toBeNull();
    expect(listed.stdout).not.toContain(secret);

    const revoked = await knitfab(["admin", "token", "revoke", "--database-url", databaseUrl, alice!.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toMatch(/is revoked since/);
    let refused = await user.knit(["data", "find"]);
    // the server hears of the revocation through NOTIFY; wait for it, boundedly
    for (let attempt = 0; attempt < 50 && refused.code === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      refused = await user.knit(["data", "find"]);
    }
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused this profile's API token \(401 Unauthorized\): it is unknown or has been revoked/);
    const unknown = await knitfab(["admin", "token", "revoke", "--database-url", databaseUrl, "0f0e0d0c-0b0a-4908-8706-050403020100"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no token has the id/);
  });

  it("manages the tokens of a running server on the embedded database through its admin socket", async () => {
    const embedded = await startServer({ args: ["--auth", "tokens"] });
    try {
      const profile = join(user.home, "embedded-knitprofile");
      const created = await knitfab(["admin", "token", "create", "--home", embedded.home, "--name", "bob", "--handout", profile]);
      expect(created.code, created.stderr).toBe(0);
      const secret = created.stdout.trim();
      expect(secret).toMatch(/^knitfab_/);
      const bob = await newUser();
      expect((await bob.knit(["init", profile])).code).toBe(0);
      const found = await bob.knit(["data", "find"]);
      expect(found.code, found.stderr).toBe(0);

      const listed = await knitfab(["admin", "token", "list", "--home", embedded.home, "--json"]);
      expect(listed.code, listed.stderr).toBe(0);
      const tokens = JSON.parse(listed.stdout) as { id: string; name: string; revoked: string | null }[];
      const token = tokens.find((entry) => entry.name === "bob");
      expect(token?.revoked).toBeNull();
      expect(listed.stdout).not.toContain(secret);

      const revoked = await knitfab(["admin", "token", "revoke", "--home", embedded.home, token!.id]);
      expect(revoked.code, revoked.stderr).toBe(0);
      // in the server's own process: the revocation empties its cache at once
      const refused = await bob.knit(["data", "find"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/it is unknown or has been revoked/);
    } finally {
      await embedded.stop();
    }
  });
});

describe("knit over TLS with the handout's CA and a token", () => {
  let server: Server;
  let user: User;
  let folder = "";
  let databaseUrl = "";

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "knit-tls-auth-"));
    // a self-signed certificate: the handout carries the certificate itself as the CA
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.crt", "-days", "2",
      "-subj", "/CN=knitfab", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ], { cwd: folder, stdio: "pipe" });
    databaseUrl = (await createTestPostgresDatabase()).url;
    server = await startServer({
      args: ["--auth", "tokens", "--database-url", databaseUrl, "--tls-cert", join(folder, "server.crt"), "--tls-key", join(folder, "server.key")],
    });
    user = await newUser();
  });

  afterAll(async () => {
    await server?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it("finds data with nothing but the profile", async () => {
    expect(server.apiRoot).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api$/);
    const profile = join(user.home, "tls-knitprofile");
    const created = await knitfab(["admin", "token", "create", "--home", server.home, "--database-url", databaseUrl, "--handout", profile]);
    expect(created.code, created.stderr).toBe(0);
    const text = await readFile(profile, "utf8");
    expect(Buffer.from(/^ {2}ca: (\S+)$/m.exec(text)?.[1] ?? "", "base64").toString("utf8")).toBe(await readFile(join(folder, "server.crt"), "utf8"));
    expect((await user.knit(["init", profile])).code).toBe(0);
    const found = await user.knit(["data", "find"]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toBe("[]\n");
  });
});

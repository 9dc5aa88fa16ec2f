import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateTls } from "./tls-commands.js";

describe("knitfab admin tls generate", () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it("makes a CA and a server certificate it signs, for the names given", async () => {
    const dir = await mkdtemp(join(tmpdir(), "knitfab-tls-gen-"));
    folders.push(dir);
    await generateTls(dir, ["knitfab.example.com", "10.0.0.5", "127.0.0.1"]);
    expect((await readdir(dir)).sort()).toEqual(["ca.crt", "ca.key", "server.crt", "server.key"]);
    const ca = new X509Certificate(await readFile(join(dir, "ca.crt")));
    const server = new X509Certificate(await readFile(join(dir, "server.crt")));
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost("knitfab.example.com")).toBe("knitfab.example.com");
    expect(server.checkIP("10.0.0.5")).toBe("10.0.0.5");
    expect(server.checkHost("other.example.com")).toBeUndefined();
    expect(server.checkPrivateKey(createPrivateKey(await readFile(join(dir, "server.key"))))).toBe(true);
    expect((await stat(join(dir, "server.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "ca.key"))).mode & 0o777).toBe(0o600);
  });

  it("overwrites nothing and refuses odd names", async () => {
    const dir = await mkdtemp(join(tmpdir(), "knitfab-tls-gen-"));
    folders.push(dir);
    await writeFile(join(dir, "server.key"), "mine");
    await expect(generateTls(dir, ["localhost"])).rejects.toThrow(/server\.key exists/);
    expect(await readFile(join(dir, "server.key"), "utf8")).toBe("mine");
    expect(await readdir(dir)).toEqual(["server.key"]);
    await expect(generateTls(dir, ["bad name; rm -rf /"])).rejects.toThrow(/not a host name/);
  });
});

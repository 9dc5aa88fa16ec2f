import { execFile } from "node:child_process";
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile, chmod } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defuseTree } from "./defuse-tree.js";

const run = promisify(execFile);
let work = "";
let root = "";

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "knitfab-defuse-"));
  root = join(work, "data");
  await mkdir(join(root, "d/e"), { recursive: true });
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function listTree(folder: string, prefix = ""): Promise<string[]> {
  const names: string[] = [];
  for (const name of (await readdir(folder)).sort()) {
    const path = join(folder, name);
    names.push(prefix + name);
    if ((await lstat(path)).isDirectory()) names.push(...(await listTree(path, `${prefix}${name}/`)));
  }
  return names;
}

describe("defuseTree", () => {
  it("clears setuid and setgid bits and keeps the rest of the mode and the content", async () => {
    await writeFile(join(root, "shell"), "#!/bin/sh\n");
    await chmod(join(root, "shell"), 0o4755);
    await writeFile(join(root, "d/group"), "x");
    await chmod(join(root, "d/group"), 0o2711);
    await chmod(join(root, "d/e"), 0o2775);
    await writeFile(join(root, "plain"), "y");
    await chmod(join(root, "plain"), 0o640);
    const report = await defuseTree(root);
    expect(report.privilegeBits.sort()).toEqual(["d/e", "d/group", "shell"]);
    expect((await lstat(join(root, "shell"))).mode & 0o7777).toBe(0o755);
    expect((await lstat(join(root, "d/group"))).mode & 0o7777).toBe(0o711);
    expect((await lstat(join(root, "d/e"))).mode & 0o7777).toBe(0o775);
    expect((await lstat(join(root, "plain"))).mode & 0o7777).toBe(0o640);
  });

  it("removes devices, FIFOs and sockets", async () => {
    await run("mkfifo", [join(root, "d/fifo")]);
    await run("mknod", [join(root, "null"), "c", "1", "3"]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, "d/e/socket"), resolve));
    try {
      const report = await defuseTree(root);
      expect(report.specialFiles.sort()).toEqual(["d/e/socket", "d/fifo", "null"]);
    } finally {
      server.close();
    }
    expect(await listTree(root)).toEqual(["d", "d/e"]);
  });

  it("removes links that lead outside, directly, through other links or once their target exists, and keeps the others", async () => {
    await writeFile(join(root, "d/e/model"), "m");
    await symlink("/etc/passwd", join(root, "absolute"));
    await symlink("../../x", join(root, "d/up"));
    await symlink("../..", join(root, "d/e/b")); // leads to the root: inside
    await symlink("e/b/..", join(root, "d/through")); // e/b is the root, so .. climbs out of it
    await symlink("e/b/d/e/model", join(root, "d/via-link")); // inside through a link
    await symlink("e/model", join(root, "d/model-link"));
    await symlink("e/not-yet", join(root, "d/dangling-inside"));
    await symlink("e/b/../outside-later", join(root, "d/dangling-outside"));
    await symlink("loop", join(root, "loop"));
    const report = await defuseTree(root);
    expect(report.outsideLinks.sort()).toEqual(["absolute", "d/dangling-outside", "d/through", "d/up", "loop"]);
    expect(await listTree(root)).toEqual(["d", "d/dangling-inside", "d/e", "d/e/b", "d/e/model", "d/model-link", "d/via-link"]);
  });

  it("is idempotent and reports nothing for a clean tree but the size of its files", async () => {
    await writeFile(join(root, "d/e/model"), "m");
    await writeFile(join(root, "d/weights"), "0123456789");
    expect(await defuseTree(root)).toEqual({ privilegeBits: [], specialFiles: [], outsideLinks: [], bytes: 11 });
    expect(await defuseTree(root)).toEqual({ privilegeBits: [], specialFiles: [], outsideLinks: [], bytes: 11 });
  });
});

import { createHash, randomBytes } from "node:crypto";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newUser, startServer, type Server, type User } from "./harness.js";

let server: Server;
let user: User;
let knitId = "";
const binary = Buffer.from([...randomBytes(4096), 0, 10, 13, 255, 0xc3, 0x28]);
/** Over 50 MB: `cat` must stream it, whoever holds it in between. */
const BIG_BYTES = 52 * 1024 * 1024 + 7;
let bigMd5 = "";

beforeAll(async () => {
  server = await startServer();
  user = await newUser();
  const init = await user.knit(["init", server.handout]);
  expect(init.code, init.stderr).toBe(0);
  const dataset = join(user.project, "dataset");
  await mkdir(join(dataset, "sub", "deeper"), { recursive: true });
  await writeFile(join(dataset, "a.txt"), "alpha\n");
  await writeFile(join(dataset, "sub", "blob.bin"), binary);
  // Random bytes in 1 MiB blocks: nothing compresses it, nothing can guess it.
  const big = createHash("md5");
  const blocks: Buffer[] = [];
  for (let left = BIG_BYTES; left > 0; left -= 1024 * 1024) blocks.push(randomBytes(Math.min(left, 1024 * 1024)));
  for (const block of blocks) big.update(block);
  bigMd5 = big.digest("hex");
  await writeFile(join(dataset, "sub", "deeper", "big.bin"), Buffer.concat(blocks));
  await symlink("a.txt", join(dataset, "link"));
  const pushed = await user.knit(["data", "push", "./dataset"]);
  expect(pushed.code, pushed.stderr).toBe(0);
  knitId = (JSON.parse(pushed.stdout) as { knitId: string }).knitId;
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** A line of `ls`: type in 4 columns, the size right-aligned to the widest, the path. */
const row = (type: string, size: number, path: string, width: number): string => `${type.padEnd(4)}  ${String(size).padStart(width)}  ${path}`;

describe("knit data ls and cat, end to end", () => {
  it("ls prints type, size and path of the root's entries; -r every descendant", async () => {
    const root = await user.knit(["data", "ls", knitId]);
    expect(root.code, root.stderr).toBe(0);
    expect(root.stdout).toBe([row("file", 6, "a.txt", 4), row("link", 0, "link -> a.txt", 4), row("dir", 0, "sub/", 4), ""].join("\n"));
    const deep = await user.knit(["data", "ls", "-r", knitId, "sub"]);
    expect(deep.code, deep.stderr).toBe(0);
    expect(deep.stdout.split("\n").filter(Boolean)).toEqual([
      row("file", binary.length, "sub/blob.bin", 8),
      row("dir", 0, "sub/deeper/", 8),
      row("file", BIG_BYTES, "sub/deeper/big.bin", 8),
    ]);
  });

  it("ls --json prints the listing with totals as 4-space JSON", async () => {
    const result = await user.knit(["data", "ls", "--json", "-r", knitId]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\{\n {4}"knitId": /);
    const listing = JSON.parse(result.stdout) as { totals: { files: number; bytes: number } };
    expect(listing.totals).toEqual({ files: 3, dirs: 2, links: 1, bytes: 6 + binary.length + BIG_BYTES });
  });

  it("cat writes a binary file byte for byte, and --range a part of it", async () => {
    const whole = await user.knit(["data", "cat", knitId, "sub/blob.bin"]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdoutBytes.equals(binary)).toBe(true);
    const tail = await user.knit(["data", "cat", "--range", "-6", knitId, "sub/blob.bin"]);
    expect(tail.stdoutBytes.equals(binary.subarray(-6))).toBe(true);
    const middle = await user.knit(["data", "cat", "--range=10-19", knitId, "sub/blob.bin"]);
    expect(middle.stdoutBytes.equals(binary.subarray(10, 20))).toBe(true);
    const text = await user.knit(["data", "cat", knitId, "link"]);
    expect(text.stdout).toBe("alpha\n");
  });

  it("cat streams a file over 50 MB into a pipe, MD5 intact", async () => {
    const child = user.spawn(["data", "cat", knitId, "sub/deeper/big.bin"]);
    const hash = createHash("md5");
    let bytes = 0;
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code, stderr).toBe(0);
    expect(bytes).toBe(BIG_BYTES);
    expect(hash.digest("hex")).toBe(bigMd5);
  });

  it("says what is wrong: a missing path, a path leaving the Data, a folder, a bad range", async () => {
    const missing = await user.knit(["data", "ls", knitId, "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`not found: knit#id:${knitId} nope`);
    const escape = await user.knit(["data", "cat", knitId, "../../etc/passwd"]);
    expect(escape.code).toBe(1);
    expect(escape.stderr).toContain("invalid path");
    expect(escape.stdout).toBe("");
    const folder = await user.knit(["data", "cat", knitId, "sub"]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toContain("is a folder");
    const past = await user.knit(["data", "cat", "--range", "100000-", knitId, "a.txt"]);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain("status code = 416");
    const malformed = await user.knit(["data", "cat", "--range", "9-2", knitId, "a.txt"]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain("LAST is before FIRST");
  });

  it("knit data --help lists ls and cat, and completion knows them", async () => {
    const help = await user.knit(["data", "--help"]);
    expect(help.stderr).toMatch(/ls \[options\] <KNIT_ID> \[PATH\]/);
    expect(help.stderr).toMatch(/cat \[options\] <KNIT_ID> <PATH>/);
    const completion = await user.knit(["completion", "bash"]);
    expect(completion.stdout).toMatch(/"data"\) words="[^"]*\bls\b[^"]*\bcat\b/);
    expect(completion.stdout).toContain('"data ls") words="');
  });
});

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, readlink, writeFile, symlink, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { DataDetail } from "@knitfab/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dotToSvg } from "../src/graph/render.js";
import { newUser, startServer, type Server, type User } from "./harness.js";

let server: Server;
let user: User;

/** `data push` prints one JSON document per source, concatenated without newlines. */
function splitDocuments(text: string): DataDetail[] {
  const docs: DataDetail[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" && --depth === 0) docs.push(JSON.parse(text.slice(start, i + 1)) as DataDetail);
  }
  return docs;
}

beforeAll(async () => {
  server = await startServer();
  user = await newUser();
  const init = await user.knit(["init", server.handout]);
  expect(init.code, init.stderr).toBe(0);
  await writeFile(join(user.project, "knitenv"), "tag:\n  - project:e2e\n  - knit#id:ignored-system-tag\n");
  const dataset = join(user.project, "dataset");
  await mkdir(join(dataset, "sub"), { recursive: true });
  await writeFile(join(dataset, "a.txt"), "alpha\n");
  await writeFile(join(dataset, "sub", "b.bin"), Buffer.alloc(100_000, 3));
  await symlink("a.txt", join(dataset, "link"));
});

afterAll(async () => {
  await server?.stop();
});

describe("knit data, end to end", () => {
  let pushed: DataDetail;

  it("init wrote .knitprofile and the store", async () => {
    expect(await readFile(join(user.project, ".knitprofile"), "utf8")).toBe(user.project);
  });

  it("push uploads, tags with -t, -n and knitenv, and prints 4-space JSON without a trailing newline", async () => {
    const r = await user.knit(["data", "push", "./dataset", "-t", "type:raw", "-n"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.endsWith("}")).toBe(true);
    expect(r.stdout).toMatch(/^\{\n {4}"knitId": /);
    pushed = JSON.parse(r.stdout) as DataDetail;
    expect(pushed.tags).toEqual(expect.arrayContaining(["type:raw", "name:dataset", "project:e2e", `knit#id:${pushed.knitId}`]));
    expect(pushed.tags.some((t) => t.startsWith("knit#id:ignored"))).toBe(false);
    expect(r.stderr).toMatch(/\[knit data push\] .*\[\[1\/1\]\] sending\.\.\. \.\/dataset/);
    expect(r.stderr).toContain(`registered: ./dataset -> knit#id:${pushed.knitId}`);
    expect(r.stderr).toContain(`[[1/1]] [OK] done: ./dataset -> knit#id:${pushed.knitId}`);
  });

  it("push skips a missing source, goes on, and concatenates the documents", async () => {
    await mkdir(join(user.project, "second"));
    await writeFile(join(user.project, "second", "c.txt"), "c");
    const r = await user.knit(["data", "push", "missing-dir", "second"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/missing-dir -- skipped/);
    expect(splitDocuments(r.stdout)).toHaveLength(1);
  });

  it("push refuses system tags as a usage error and uploads nothing", async () => {
    const before = await user.knit(["data", "find"]);
    const r = await user.knit(["data", "push", "-t", "knit#timestamp:2024-01-01T00:00:00Z", "dataset"]);
    expect(r.code).toBe(2);
    expect((await user.knit(["data", "find"])).stdout).toBe(before.stdout);
  });

  it("find filters by tags, transient and time", async () => {
    const byTag = await user.knit(["data", "find", "-t", "type:raw", "-t", "project:e2e"]);
    expect(byTag.code, byTag.stderr).toBe(0);
    expect(byTag.stdout.endsWith("]\n")).toBe(true);
    expect((JSON.parse(byTag.stdout) as DataDetail[]).map((d) => d.knitId)).toEqual([pushed.knitId]);
    expect(JSON.parse((await user.knit(["data", "find", "-t", `knit#id:${pushed.knitId}`])).stdout)).toHaveLength(1);
    expect(JSON.parse((await user.knit(["data", "find", "-t", "type:raw", "--transient", "yes"])).stdout)).toEqual([]);
    expect(JSON.parse((await user.knit(["data", "find", "-t", "type:raw", "--transient", "no"])).stdout)).toHaveLength(1);
    expect(JSON.parse((await user.knit(["data", "find", "-t", "type:raw", "--since", "2999-01-01"])).stdout)).toEqual([]);
    expect(JSON.parse((await user.knit(["data", "find", "-t", "type:raw", "--since", "2000-01-01T00:00Z", "--duration", "876000h"])).stdout)).toHaveLength(1);
    expect((await user.knit(["data", "find", "-t", "nosuch:tag"])).stdout).toBe("[]\n");
  });

  it("short flags written with = are split at the first =, as the reference reads them", async () => {
    const spaced = await user.knit(["data", "find", "-t", "type:raw"]);
    const joined = await user.knit(["data", "find", "-t=type:raw"]);
    expect(joined.code, joined.stderr).toBe(0);
    expect(JSON.parse(joined.stdout)).toHaveLength(1);
    expect(joined.stdout).toBe(spaced.stdout);
    const depth = await user.knit(["data", "lineage", "-n=1", pushed.knitId]);
    expect(depth.code, depth.stderr).toBe(0);
    expect(depth.stdout).toBe((await user.knit(["data", "lineage", "-n", "1", pushed.knitId])).stdout);
  });

  it("pull saves KNIT_ID.tar.gz whose content is the pushed folder", async () => {
    const r = await user.knit(["data", "pull", pushed.knitId, "out"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Downloading to");
    const archive = join(user.project, "out", `${pushed.knitId}.tar.gz`);
    const listing = execFileSync("tar", ["-tzf", archive], { encoding: "utf8" }).split("\n").filter(Boolean).sort();
    expect(listing).toEqual(["a.txt", "link", "sub/b.bin"]);
  });

  it("pull -x extracts files and links; pull to - writes the archive to stdout", async () => {
    const r = await user.knit(["data", "pull", "-x", pushed.knitId, "extracted"]);
    expect(r.code, r.stderr).toBe(0);
    const dir = join(user.project, "extracted", pushed.knitId);
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("alpha\n");
    expect(await readFile(join(dir, "link"), "utf8")).toBe("alpha\n");
    expect((await readFile(join(dir, "sub", "b.bin"))).equals(Buffer.alloc(100_000, 3))).toBe(true);
    const toStdout = await user.knit(["data", "pull", pushed.knitId, "-"]);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdoutBytes.subarray(0, 2).toString("hex")).toBe("1f8b");
    expect((await user.knit(["data", "pull", "-x", pushed.knitId, "-"])).code).toBe(2);
    const missing = await user.knit(["data", "pull", "00000000-0000-0000-0000-000000000000"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
  });

  it("pull -x into an existing folder keeps the user's files and replaces the Data's own, as the reference does", async () => {
    const dir = join(user.project, "existing", pushed.knitId);
    await mkdir(join(dir, "sub"), { recursive: true });
    await writeFile(join(dir, "mine.txt"), "mine\n");
    await writeFile(join(dir, "sub", "own.txt"), "own\n");
    await writeFile(join(dir, "a.txt"), "an older a.txt, longer than the new one\n");
    const r = await user.knit(["data", "pull", "-x", pushed.knitId, "existing"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(dir, "mine.txt"), "utf8")).toBe("mine\n");
    expect(await readFile(join(dir, "sub", "own.txt"), "utf8")).toBe("own\n");
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("alpha\n");
    expect((await readFile(join(dir, "sub", "b.bin"))).equals(Buffer.alloc(100_000, 3))).toBe(true);
    expect(await readlink(join(dir, "link"))).toBe("a.txt");
    expect((await readdir(join(user.project, "existing"))).sort()).toEqual([pushed.knitId]);
  });

  it("pull -x refuses what is in the way of the Data and changes nothing", async () => {
    const dir = join(user.project, "blocked", pushed.knitId);
    await mkdir(join(dir, "a.txt"), { recursive: true });
    await writeFile(join(dir, "a.txt", "inside"), "inside\n");
    await writeFile(join(dir, "mine.txt"), "mine\n");
    const r = await user.knit(["data", "pull", "-x", pushed.knitId, "blocked"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("in the way of the Data");
    expect(r.stderr).toContain(join(dir, "a.txt"));
    expect((await readdir(dir)).sort()).toEqual(["a.txt", "mine.txt"]);
    expect(await readFile(join(dir, "a.txt", "inside"), "utf8")).toBe("inside\n");
    expect(await readFile(join(dir, "mine.txt"), "utf8")).toBe("mine\n");
    expect(await readdir(join(user.project, "blocked"))).toEqual([pushed.knitId]);
  });

  it("pull replaces an earlier KNIT_ID.tar.gz (as the reference does) and leaves a folder of that name alone", async () => {
    const folder = join(user.project, "again");
    await mkdir(folder);
    await writeFile(join(folder, `${pushed.knitId}.tar.gz`), "an earlier download");
    const r = await user.knit(["data", "pull", pushed.knitId, "again"]);
    expect(r.code, r.stderr).toBe(0);
    expect((await readFile(join(folder, `${pushed.knitId}.tar.gz`))).subarray(0, 2).toString("hex")).toBe("1f8b");
    expect(await readdir(folder)).toEqual([`${pushed.knitId}.tar.gz`]);

    const taken = join(user.project, "taken");
    await mkdir(join(taken, `${pushed.knitId}.tar.gz`), { recursive: true });
    await writeFile(join(taken, `${pushed.knitId}.tar.gz`, "keep"), "keep\n");
    const refused = await user.knit(["data", "pull", pushed.knitId, "taken"]);
    expect(refused.code).toBe(1);
    expect(await readdir(taken)).toEqual([`${pushed.knitId}.tar.gz`]);
    expect(await readFile(join(taken, `${pushed.knitId}.tar.gz`, "keep"), "utf8")).toBe("keep\n");
  });

  it("a stdout reader that goes away early (| head) ends knit quietly with exit 0", async () => {
    await mkdir(join(user.project, "noise"));
    await writeFile(join(user.project, "noise", "random.bin"), randomBytes(2 * 1024 * 1024));
    const noise = JSON.parse((await user.knit(["data", "push", "noise"])).stdout) as DataDetail;
    const r = await user.knitIntoClosingReader(["data", "pull", noise.knitId, "-"]);
    expect(r.stdoutBytes.subarray(0, 2).toString("hex")).toBe("1f8b");
    expect(r.stderr).not.toMatch(/error|EPIPE/i);
    expect(r.code).toBe(0);
  });

  it("tag changes tags, prints nothing on stdout and logs the detail", async () => {
    const r = await user.knit(["data", "tag", "--add", "stage:clean", "--add", "x:1", "--remove", "type:raw", "--remove-key", "name", pushed.knitId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`[OK] Tags are updated for data knit#id:${pushed.knitId}`);
    const [found] = JSON.parse((await user.knit(["data", "find", "-t", `knit#id:${pushed.knitId}`])).stdout) as DataDetail[];
    expect(found?.tags).toEqual(expect.arrayContaining(["stage:clean", "x:1", "project:e2e"]));
    expect(found?.tags.some((t) => t.startsWith("name:") || t === "type:raw")).toBe(false);
    expect((await user.knit(["data", "tag", "--add", "knit#id:x", pushed.knitId])).code).toBe(2);
  });

  it("lineage prints dot that Graphviz lays out, and renders svg and png", async () => {
    const r = await user.knit(["data", "lineage", pushed.knitId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^digraph G \{/);
    expect(r.stdout).toContain(`"d${pushed.knitId}"[`);
    expect(r.stdout).toContain(`"r${pushed.upstream.run.runId}" -> "d${pushed.knitId}" [label="/upload"];`);
    expect(r.stdout).toContain('"root#0"[shape=Mdiamond];');
    expect(await dotToSvg(r.stdout)).toContain("<svg");
    const svg = await user.knit(["data", "lineage", "-u", "-n", "all", "--format", "svg", pushed.knitId]);
    expect(svg.stdout).toMatch(/<svg[\s\S]*<\/svg>/);
    const png = await user.knit(["data", "lineage", "-d", "--format", "png", pushed.knitId]);
    expect(png.code, png.stderr).toBe(0);
    expect(png.stdoutBytes.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
    expect((await user.knit(["data", "lineage", "-n", "0", pushed.knitId])).code).toBe(2);
  });

  it("Ctrl+C during push aborts the upload and leaves no Data behind", async () => {
    const big = join(user.project, "big");
    await mkdir(big);
    // A sparse 4 GiB file: cheap to create, seconds to compress and send.
    await writeFile(join(big, "zeros"), "");
    await truncate(join(big, "zeros"), 4 * 1024 ** 3);
    const before = (JSON.parse((await user.knit(["data", "find", "--transient", "no"])).stdout) as DataDetail[]).length;
    const child = user.spawn(["data", "push", "-t", "kind:big", "big"]);
    let stderr = "";
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("sending...")) resolve();
      });
    });
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: the upload of big is cancelled/);
    expect(JSON.parse((await user.knit(["data", "find", "-t", "kind:big"])).stdout)).toEqual([]);
    expect((JSON.parse((await user.knit(["data", "find", "--transient", "no"])).stdout) as DataDetail[]).length).toBe(before);
  });

  it("profiles: a subfolder uses the project's profile; another profile name fails with a hint", async () => {
    const sub = join(user.project, "deep", "er");
    await mkdir(sub, { recursive: true });
    expect((await user.knit(["data", "find", "-t", "project:e2e"], { cwd: sub })).code).toBe(0);
    const r = await user.knit(["data", "find", "--profile", "nobody"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/profile 'nobody' not found/);
    expect(await readdir(join(user.home, ".knit"))).toEqual(["profile"]);
  });
});

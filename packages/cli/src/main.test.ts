import { mkdtemp, mkdir, readFile, stat, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "./main.js";
import { captureIo } from "./testing/capture.js";

let home: string;
let cwd: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "knit-home-"));
  cwd = join(home, "project");
  await mkdir(cwd);
});

async function knit(args: string[], options: { stdin?: Buffer | string; path?: string; dir?: string } = {}) {
  const io = captureIo({ cwd: options.dir ?? cwd, env: { HOME: home, PATH: options.path ?? "" }, stdin: options.stdin });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe("exit codes and help", () => {
  it("prints help on stderr and exits 0 for -h anywhere", async () => {
    for (const args of [["-h"], ["data", "push", "-h"], ["run", "-h", "show"], ["plan", "find", "--active", "yes", "--help"]]) {
      const r = await knit(args);
      expect(r.code).toBe(0);
      expect(r.out).toBe("");
      expect(r.err).toMatch(/Usage: knit/);
      expect(r.err).toMatch(/Example/);
    }
    expect((await knit(["run", "-h", "show"])).err).toMatch(/Usage: knit run show/);
  });

  it("every command's help has an example", async () => {
    const commands = [
      ["init"], ["version"], ["license"], ["completion"],
      ["data", "find"], ["data", "pull"], ["data", "push"], ["data", "tag"], ["data", "lineage"],
      ["plan", "show"], ["plan", "find"], ["plan", "graph"], ["plan", "template"], ["plan", "apply"],
      ["plan", "active"], ["plan", "resource"], ["plan", "annotate"], ["plan", "serviceaccount"],
      ["run", "show"], ["run", "find"], ["run", "stop"], ["run", "rm"], ["run", "retry"], ["run", "wait"],
    ];
    for (const c of commands) {
      const r = await knit([...c, "--help"]);
      expect(r.code, c.join(" ")).toBe(0);
      expect(r.err, c.join(" ")).toMatch(new RegExp(`Usage: knit ${c.join(" ")}[\\s\\S]*Examples?:\\n  .*knit `));
    }
  });

  it("usage errors exit 2 with the help text", async () => {
    for (const args of [["nosuch"], ["data"], ["run", "show"], ["run", "rm", "a", "b"], ["data", "find", "--since"], ["data", "find", "--nosuch"], ["data", "find", "--transient", "maybe"], ["plan", "active", "maybe", "PLAN"], ["data", "find", "--duration", "1h"], ["data", "pull", "-x", "ID", "-"], ["data", "push", "-t", "knit#id:x", "dir"]]) {
      const r = await knit(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err, args.join(" ")).toMatch(/Usage: knit/);
    }
  });

  it("malformed values of custom types exit 1 without help", async () => {
    for (const args of [["data", "find", "-t", "novalue"], ["data", "find", "--since", "tomorrow"], ["run", "find", "--since", "2024-01-01", "--duration", "3d"], ["data", "lineage", "-n", "x", "ID"]]) {
      const r = await knit(args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.err, args.join(" ")).not.toMatch(/Usage:/);
    }
  });

  it("commands that need the API explain how to set up a profile", async () => {
    const r = await knit(["plan", "show", "PLAN"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/knit init/);
  });
});

describe("a stdout whose reader went away", () => {
  it("ends the command quietly with exit 0", async () => {
    const io = captureIo({ cwd, env: { HOME: home, PATH: "" } });
    const closedPipe = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    io.stdout = new Writable({ write: (_chunk, _encoding, callback) => callback(closedPipe) });
    io.stdout.on("error", () => undefined);
    expect(await main(["completion", "bash"], io)).toBe(0);
    expect(io.err()).toBe("");
  });
});

describe("knit init and profile selection", () => {
  it("stores the handout under this directory's path and writes .knitprofile", async () => {
    await writeFile(join(home, "handout"), "apiRoot: http://127.0.0.1:1/api\n");
    const r = await knit(["init", join(home, "handout")]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/\[knit init\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} profile .* is saved to/);
    const storePath = join(home, ".knit", "profile");
    expect(parse(await readFile(storePath, "utf8"))).toEqual({ [cwd]: { apiRoot: "http://127.0.0.1:1/api" } });
    expect((await stat(storePath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, ".knit"))).mode & 0o777).toBe(0o700);
    expect(await readFile(join(cwd, ".knitprofile"), "utf8")).toBe(cwd);
  });

  it("uses --profile and --profile-store anywhere on the line", async () => {
    await writeFile(join(home, "handout"), "apiRoot: https://example.com:30803/api\n");
    const r = await knit(["init", "--profile-store", join(home, "store"), join(home, "handout"), "--profile", "team"]);
    expect(r.code).toBe(0);
    expect(Object.keys(parse(await readFile(join(home, "store"), "utf8")))).toEqual(["team"]);
    expect(await readFile(join(cwd, ".knitprofile"), "utf8")).toBe("team");
  });

  it("refuses a handout that is not a profile, and changes nothing", async () => {
    await writeFile(join(home, "bad"), "apiRoot: not-a-url\n");
    const r = await knit(["init", join(home, "bad")]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/apiRoot/);
    await expect(stat(join(home, ".knit", "profile"))).rejects.toThrow();
  });

  it("a subdirectory finds .knitprofile upwards; a missing profile name is reported", async () => {
    await writeFile(join(home, "handout"), "apiRoot: http://127.0.0.1:1/api\n");
    await knit(["init", "--profile", "p", join(home, "handout")]);
    const sub = join(cwd, "a", "b");
    await mkdir(sub, { recursive: true });
    // Port 1 refuses connections: the profile was found, so the failure is about reaching the server.
    const r = await knit(["plan", "show", "X"], { dir: sub });
    expect(r.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
    const missing = await knit(["plan", "show", "X", "--profile", "other"], { dir: sub });
    expect(missing.err).toMatch(/profile 'other' not found in the profile store/);
  });
});

describe("knit version, license, completion", () => {
  it("version prints v<version> (commit: ...) without a newline", async () => {
    const r = await knit(["version"]);
    expect(r.out).toMatch(/^v\d+\.\d+\.\d+ \(commit: [0-9a-f]{40}|unknown\)$/);
  });
  it("license lists the packages", async () => {
    expect((await knit(["license"])).out).toMatch(/commander/);
  });
  it("completion scripts name every command and the script is valid bash", async () => {
    const r = await knit(["completion", "bash"]);
    expect(r.code).toBe(0);
    for (const word of ["data", "lineage", "serviceaccount", "--follow", "wait"]) expect(r.out).toContain(word);
    const { execFileSync } = await import("node:child_process");
    execFileSync("bash", ["-n"], { input: r.out });
    expect((await knit(["completion", "zsh"])).out).toMatch(/^#compdef knit/);
    expect((await knit(["completion", "fish"])).code).toBe(2);
  });
});

describe("plan template --scratch and boolean flag values", () => {
  it("fills tags and resources from knitenv", async () => {
    await writeFile(join(cwd, "knitenv"), "tag:\n  - project:demo\n  - {key: team, value: ml}\nresource:\n  cpu: 2\n  gpu: 1\n");
    const r = await knit(["plan", "template", "--scratch"]);
    expect(r.code).toBe(0);
    expect(r.out.startsWith("\n")).toBe(true);
    expect(r.err).toContain("# Plan file is generated. modify it as you like.");
    const doc = parse(r.out);
    expect(Object.keys(doc)).toEqual(["annotations", "image", "entrypoint", "args", "inputs", "outputs", "log", "active", "resources"]);
    expect(doc.inputs).toEqual([{ path: "/in", tags: ["project:demo", "team:ml"] }]);
    expect(doc.log.tags).toEqual(["type:log", "project:demo", "team:ml"]);
    expect(doc.resources).toEqual({ cpu: "2", memory: "1Gi" });
  });
  it("uses example:tag without knitenv, and honours --env", async () => {
    expect(parse((await knit(["plan", "template", "--scratch"])).out).outputs[0].tags).toEqual(["example:tag"]);
    await writeFile(join(home, "other-env"), "tag: [\"x:y\"]\n");
    expect(parse((await knit(["plan", "template", "--scratch", "--env", join(home, "other-env")])).out).outputs[0].tags).toEqual(["x:y"]);
  });
  it("--scratch yes is true, --scratch=false is false, and --scratch with an image is a usage error", async () => {
    expect((await knit(["plan", "template", "--scratch", "yes"])).code).toBe(0);
    const notScratch = await knit(["plan", "template", "--scratch=false"], { stdin: "" });
    expect(notScratch.code).toBe(1);
    expect(notScratch.err).toMatch(/no image found/);
    expect((await knit(["plan", "template", "--scratch", "img:v1"])).code).toBe(2);
  });
});

describe("extension commands", () => {
  it("runs knit-NAME from PATH with the resolved profile settings and passes unknown flags", async () => {
    const bin = join(home, "bin");
    await mkdir(bin);
    const script = join(bin, "knit-hello");
    await writeFile(script, "#!/bin/sh\necho \"args:$*\"\necho \"profile:$KNIT_PROFILE store:$KNIT_PROFILE_STORE env:$KNIT_ENV\"\n[ \"$1\" = fail ] && exit 3\nexit 0\n");
    await chmod(script, 0o755);
    const r = await knit(["hello", "--loud", "--profile", "pp", "x"], { path: bin });
    expect(r.code).toBe(0);
    expect(r.out).toBe(`args:--loud x\nprofile:pp store:${join(home, ".knit", "profile")} env:${join(cwd, "knitenv")}\n`);
    const failed = await knit(["hello", "fail"], { path: bin });
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/exit status 3/);
    expect((await knit(["--help"], { path: bin })).err).toContain(`(= ${script})`);
  });
  it("an extension named like a built-in is refused at start-up", async () => {
    const bin = join(home, "bin2");
    await mkdir(bin);
    await writeFile(join(bin, "knit-data"), "#!/bin/sh\n");
    await chmod(join(bin, "knit-data"), 0o755);
    const r = await knit(["version"], { path: bin });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/conflicts with the built-in command 'data'/);
  });
});

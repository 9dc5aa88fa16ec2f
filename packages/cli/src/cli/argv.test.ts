import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addressedCommand, normaliseFlagValues, splitArgv } from "./argv.js";
import { UsageError } from "./errors.js";

describe("splitArgv", () => {
  it("takes common flags out from anywhere, in both spellings", () => {
    const split = splitArgv(["data", "--profile", "p1", "find", "--env=./e", "-t", "a:b", "--profile-store", "/s"]);
    expect(split.common).toEqual({ profile: "p1", env: "./e", profileStore: "/s" });
    expect(split.tokens).toEqual(["data", "find", "-t", "a:b"]);
    expect(split.help).toBe(false);
  });
  it("notices -h anywhere before --, and keeps everything after --", () => {
    expect(splitArgv(["run", "-h", "show"])).toMatchObject({ help: true, tokens: ["run", "show"] });
    expect(splitArgv(["x", "--", "-h", "--profile"])).toMatchObject({ help: false, tokens: ["x", "--", "-h", "--profile"] });
  });
  it("a common flag without its value is a usage error", () => {
    expect(() => splitArgv(["data", "--profile"])).toThrow(UsageError);
  });
});

describe("normaliseFlagValues", () => {
  const command = new Command("stop").option("-x, --fail").option("-t, --tag <v>").argument("<id>");
  it("consumes a boolean word after a boolean flag", () => {
    expect(normaliseFlagValues(command, ["--fail", "no", "RUN"])).toEqual(["RUN"]);
    expect(normaliseFlagValues(command, ["--fail", "YES", "RUN"])).toEqual(["--fail", "RUN"]);
    expect(normaliseFlagValues(command, ["-x", "off", "RUN"])).toEqual(["RUN"]);
    expect(normaliseFlagValues(command, ["--fail=1", "RUN"])).toEqual(["--fail", "RUN"]);
    expect(normaliseFlagValues(command, ["--fail", "RUN"])).toEqual(["--fail", "RUN"]);
  });
  it("does not take a value flag's value for a boolean word", () => {
    expect(normaliseFlagValues(command, ["-t", "--fail", "no"])).toEqual(["-t", "--fail", "no"]);
  });
  it("rejects --flag=notabool", () => {
    expect(() => normaliseFlagValues(command, ["--fail=maybe"])).toThrow(UsageError);
  });
  it("splits a short flag written with = at the first =, as flarc does", () => {
    expect(normaliseFlagValues(command, ["-t=key:value", "RUN"])).toEqual(["-t", "key:value", "RUN"]);
    expect(normaliseFlagValues(command, ["-t=a=b=c"])).toEqual(["-t", "a=b=c"]);
    expect(normaliseFlagValues(command, ["-t="])).toEqual(["-t", ""]);
    expect(normaliseFlagValues(command, ["-x=no", "RUN"])).toEqual(["RUN"]);
  });
  it("gives commander the value that flarc reads, whatever the spelling", () => {
    const read = (argv: string[]) => new Command("find").option("-t, --tag <v>").exitOverride().parse(normaliseFlagValues(command, argv), { from: "user" }).opts();
    for (const argv of [["-t=k:v"], ["-t", "k:v"], ["--tag=k:v"], ["--tag", "k:v"]]) expect(read(argv)).toEqual({ tag: "k:v" });
  });
});

describe("addressedCommand", () => {
  it("walks the leading tokens down the tree", () => {
    const program = new Command("knit");
    program.command("data").command("push");
    const { command, depth } = addressedCommand(program, ["data", "push", "dir"]);
    expect(command.name()).toBe("push");
    expect(depth).toBe(2);
  });
});

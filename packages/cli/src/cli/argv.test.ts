import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addressedCommand, normaliseBooleanValues, splitArgv } from "./argv.js";
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

describe("normaliseBooleanValues", () => {
  const command = new Command("stop").option("-x, --fail").option("-t, --tag <v>").argument("<id>");
  it("consumes a boolean word after a boolean flag", () => {
    expect(normaliseBooleanValues(command, ["--fail", "no", "RUN"])).toEqual(["RUN"]);
    expect(normaliseBooleanValues(command, ["--fail", "YES", "RUN"])).toEqual(["--fail", "RUN"]);
    expect(normaliseBooleanValues(command, ["-x", "off", "RUN"])).toEqual(["RUN"]);
    expect(normaliseBooleanValues(command, ["--fail=1", "RUN"])).toEqual(["--fail", "RUN"]);
    expect(normaliseBooleanValues(command, ["--fail", "RUN"])).toEqual(["--fail", "RUN"]);
  });
  it("does not take a value flag's value for a boolean word", () => {
    expect(normaliseBooleanValues(command, ["-t", "--fail", "no"])).toEqual(["-t", "--fail", "no"]);
  });
  it("rejects --flag=notabool", () => {
    expect(() => normaliseBooleanValues(command, ["--fail=maybe"])).toThrow(UsageError);
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

import { readFile, writeFile, chmod } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { parse } from "yaml";
import { defineCommand, type Runtime } from "../cli/define.js";
import { CommandError } from "../cli/errors.js";
import { verifyProfile } from "../profile/profile.js";
import { loadProfileStore, saveProfileStore } from "../profile/store.js";

export function registerInit(program: Command, runtime: Runtime): void {
  defineCommand(program, runtime, {
    name: "init <KNIT_PROFILE_FILE>",
    summary: "store a knitprofile (handed out by the administrator) and use it in this directory",
    description:
      "Reads KNIT_PROFILE_FILE (YAML with apiRoot and optionally cert.ca), stores it in the profile store " +
      "under the name given by --profile (default: the absolute path of this directory), and writes " +
      ".knitprofile here so later commands in this directory and below use it.",
    examples: ["knit init ./knitprofile", "knit init --profile team-a ~/Downloads/knitprofile"],
    run: async (context, [file]) => {
      const path = resolve(context.io.cwd, file as string);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        throw new CommandError(`cannot read the knitprofile ${path}: ${(error as Error).message}`);
      }
      let parsed: unknown;
      try {
        parsed = parse(text);
      } catch (error) {
        throw new CommandError(`the knitprofile ${path} is not valid YAML: ${(error as Error).message}`);
      }
      const profile = verifyProfile(parsed, `knitprofile ${path}`);
      const { profile: name, profileStore } = context.common;
      const store = (await loadProfileStore(profileStore)) ?? {};
      store[name] = profile;
      await saveProfileStore(profileStore, store);
      context.logger.info(`profile ${name} is saved to ${profileStore}`);
      const marker = join(context.io.cwd, ".knitprofile");
      await writeFile(marker, name, { mode: 0o600 });
      await chmod(marker, 0o600);
    },
  });
}

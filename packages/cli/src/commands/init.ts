import { join, resolve } from "node:path";
import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";

export function registerInit(program: Command, runtime: Runtime): void {
  defineCommand(program, runtime, {
    name: "init <KNIT_PROFILE_FILE>",
    summary: "store a knitprofile (handed out by the administrator) and use it in this directory",
    description:
      "Reads KNIT_PROFILE_FILE (YAML with apiRoot and optionally cert.ca and token), stores it in the profile store " +
      "under the name given by --profile (default: the absolute path of this directory), and writes " +
      ".knitprofile here so later commands in this directory and below use it.",
    examples: ["knit init ./knitprofile", "knit init --profile team-a ~/Downloads/knitprofile"],
    run: async (context, [file]) => {
      // The promise API of the file system and the YAML parser load only for the commands using them.
      const [{ writeFile, chmod }, { loadProfileStore, readKnitProfile, saveProfileStore }] = await Promise.all([
        import("node:fs/promises"),
        import("../profile/store.js"),
      ]);
      const profile = await readKnitProfile(resolve(context.io.cwd, file as string));
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

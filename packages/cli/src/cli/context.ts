import { ApiClient } from "../client/http.js";
import { CommandError } from "./errors.js";
import type { Io } from "./io.js";
import { createLogger, type Logger } from "./logger.js";
import type { KnitEnv } from "../profile/knitenv.js";
import type { CommonSettings } from "../profile/locate.js";

/** What a command runs with: its streams, the resolved common flags, a logger and lazy access to the API. */
export interface Context {
  io: Io;
  common: CommonSettings;
  /** Full command name, e.g. `knit data push`. */
  commandName: string;
  logger: Logger;
  client(): Promise<ApiClient>;
  knitEnv(): Promise<KnitEnv>;
}

export function createContext(io: Io, common: CommonSettings, commandName: string): Context {
  let client: Promise<ApiClient> | undefined;
  let env: Promise<KnitEnv> | undefined;
  return {
    io,
    common,
    commandName,
    // io.stderr only when a message comes: a command that logs nothing never builds the stream.
    logger: createLogger(() => io.stderr, commandName),
    client: () => (client ??= connect(common)),
    // Both files are YAML: the parser loads only for commands that read one.
    knitEnv: () => (env ??= import("../profile/knitenv.js").then(({ loadKnitEnv }) => loadKnitEnv(common.env))),
  };
}

async function connect(common: CommonSettings): Promise<ApiClient> {
  const { loadProfileStore } = await import("../profile/store.js");
  const store = await loadProfileStore(common.profileStore);
  if (store === undefined) {
    throw new CommandError(`the profile store ${common.profileStore} does not exist: run 'knit init KNIT_PROFILE_FILE' with the knitprofile your administrator handed out`);
  }
  const profile = store[common.profile];
  if (!profile) {
    throw new CommandError(`profile '${common.profile}' not found in the profile store (${common.profileStore}): run 'knit init KNIT_PROFILE_FILE' here, or pick a stored profile with --profile NAME (stored: ${Object.keys(store).join(", ") || "none"})`);
  }
  return new ApiClient(profile);
}

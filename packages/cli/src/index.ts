export { main } from "./main.js";
export { buildProgram } from "./program.js";
export { processIo, type Io } from "./cli/io.js";
export type { Profile } from "./profile/profile.js";
export { loadProfileStore, saveProfileStore, type ProfileStore } from "./profile/store.js";

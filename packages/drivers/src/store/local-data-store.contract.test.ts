/** The local store through the contract every DataStore passes (see ../contract/data-store-contract.ts). */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeDataStoreContract } from "../contract/data-store-contract.js";
import { createLocalDataStore } from "./local-data-store.js";

describeDataStoreContract("local folders", async () => {
  const work = await mkdtemp(join(tmpdir(), "knitfab-store-contract-"));
  const root = join(work, "store");
  return {
    store: createLocalDataStore(root),
    // What a crash in the middle of an upload leaves: a folder under .partial that never got renamed.
    async simulateCrashedUpload(knitId) {
      await mkdir(join(root, ".partial", `${knitId}.abcdef`, "sub"), { recursive: true });
      await writeFile(join(root, ".partial", `${knitId}.abcdef`, "sub", "f"), "half");
    },
    cleanup: () => rm(work, { recursive: true, force: true }),
  };
});

import { CHANNEL, claimGarbage, forgetGarbage } from "@knitfab/db";
import type { EngineContext } from "../engine-context.js";
import type { LoopDefinition } from "../loop-runner.js";

/** Deletes the content of Data that no longer exist (spec/loops.md §7), one knitId per step. */
export function garbageCollectionLoop(context: EngineContext): LoopDefinition {
  return {
    name: "garbage-collection",
    channels: [CHANNEL.garbage],
    pollMs: 10_000,
    step: async () => {
      const knitId = await claimGarbage(context.database.db, context.options.leaseMs);
      if (!knitId) return false;
      // Content first, row second: a crash in between leaves the row, and removing again is harmless.
      await context.store.remove(knitId);
      await forgetGarbage(context.database.db, knitId);
      return true;
    },
  };
}

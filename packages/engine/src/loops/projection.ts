import { CHANNEL, projectOnce, type Database } from "@knitfab/db";
import type { LoopDefinition } from "../loop-runner.js";

/** Creates runs from updated nominations; woken by every new nomination (data, tags, plans, activation). */
export function projectionLoop(database: Database): LoopDefinition {
  return {
    name: "projection",
    channels: [CHANNEL.projection],
    pollMs: 5_000,
    step: async () => (await projectOnce(database)) !== undefined,
  };
}

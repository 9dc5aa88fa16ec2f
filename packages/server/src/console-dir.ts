import { stat } from "node:fs/promises";
import { join } from "node:path";
import { consoleDistPath } from "@knitfab/console/dist-path";

/** The web console package's build (its `dist-path` export), when it has been built. */
export async function defaultConsoleDir(): Promise<string | undefined> {
  const info = await stat(join(consoleDistPath, "index.html")).catch(() => undefined);
  return info ? consoleDistPath : undefined;
}

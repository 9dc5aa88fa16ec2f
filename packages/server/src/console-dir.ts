import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The web console built in this workspace (packages/console/dist), when it has been built. */
export async function defaultConsoleDir(): Promise<string | undefined> {
  const candidate = fileURLToPath(new URL("../../console/dist/", import.meta.url));
  const info = await stat(`${candidate}/index.html`).catch(() => undefined);
  return info ? candidate : undefined;
}

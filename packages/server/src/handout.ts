import { mkdir, writeFile, rename } from "node:fs/promises";
import { join } from "node:path";

/** Writes HOME/handout/knitprofile, the profile `knit init` accepts (spec/cli.md §2.3). */
export async function writeHandout(home: string, apiRoot: string): Promise<string> {
  const dir = join(home, "handout");
  await mkdir(dir, { recursive: true });
  const path = join(dir, "knitprofile");
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `apiRoot: ${apiRoot}\n`, { mode: 0o644 });
  await rename(temporary, path);
  return path;
}

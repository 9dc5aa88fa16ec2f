import { chmod, lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * `rm -rf` that also removes trees a container left with read-only folders (a folder without
 * write permission cannot lose its entries). Absent paths are fine. Links are never followed.
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM") throw error;
    await makeFoldersWritable(path);
    await rm(path, { recursive: true, force: true });
  }
}

async function makeFoldersWritable(path: string): Promise<void> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined || !stats.isDirectory()) return;
  await chmod(path, (stats.mode & 0o777) | 0o700);
  for (const name of await readdir(path)) await makeFoldersWritable(join(path, name));
}

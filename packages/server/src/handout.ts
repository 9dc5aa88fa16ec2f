import { mkdir, writeFile, rename } from "node:fs/promises";
import { join } from "node:path";

/** What a profile holds besides apiRoot (spec/cli.md §2.3, plus our optional token). */
export interface HandoutExtras {
  /** PEM of the CA to trust (TLS); written base64 as `cert.ca`, as the reference's handout */
  caPem?: string;
  /** an API token (`knitfab admin token create --handout`) */
  token?: string;
}

/** The text of a knitprofile. */
export function handoutText(apiRoot: string, extras: HandoutExtras = {}): string {
  let text = `apiRoot: ${apiRoot}\n`;
  if (extras.caPem !== undefined) text += `cert:\n  ca: ${Buffer.from(extras.caPem).toString("base64")}\n`;
  if (extras.token !== undefined) text += `token: ${extras.token}\n`;
  return text;
}

/**
 * Writes HOME/handout/knitprofile, the profile `knit init` accepts (spec/cli.md §2.3), with the CA
 * when the server speaks HTTPS. Never a token: `knitfab admin token create --handout FILE` writes
 * one user's profile with theirs.
 */
export async function writeHandout(home: string, apiRoot: string, caPem?: string): Promise<string> {
  const dir = join(home, "handout");
  await mkdir(dir, { recursive: true });
  const path = join(dir, "knitprofile");
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, handoutText(apiRoot, caPem === undefined ? {} : { caPem }), { mode: 0o644 });
  await rename(temporary, path);
  return path;
}

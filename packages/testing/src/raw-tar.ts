import { gzipSync } from "node:zlib";

export interface RawTarEntry {
  name: string;
  /** "0" file, "1" hard link, "2" symlink, "3" char device, "4" block device, "5" directory, "6" FIFO */
  type?: "0" | "1" | "2" | "3" | "4" | "5" | "6";
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

/**
 * Writes tar bytes header by header, exactly as given: tests use it to build archives that no
 * well-behaved tar tool would produce (entries escaping the target, devices, links outside).
 */
export function rawTar(entries: RawTarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.content === undefined ? Buffer.alloc(0) : Buffer.from(entry.content);
    const header = Buffer.alloc(512);
    header.write(entry.name, 0, 100, "utf8");
    header.write(octal(entry.mode ?? 0o644, 8), 100, 8, "ascii");
    header.write(octal(0, 8), 108, 8, "ascii");
    header.write(octal(0, 8), 116, 8, "ascii");
    header.write(octal(content.length, 12), 124, 12, "ascii");
    header.write(octal(Math.floor(Date.now() / 1000), 12), 136, 12, "ascii");
    header.write("        ", 148, 8, "ascii");
    header.write(entry.type ?? "0", 156, 1, "ascii");
    header.write(entry.linkname ?? "", 157, 100, "utf8");
    header.write("ustar\u000000", 257, 8, "binary");
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "binary");
    blocks.push(header, content);
    const padding = (512 - (content.length % 512)) % 512;
    if (padding > 0) blocks.push(Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export const rawTarGz = (entries: RawTarEntry[]): Buffer => gzipSync(rawTar(entries));

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\u0000`;
}

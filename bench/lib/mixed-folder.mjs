import { randomBytes } from "node:crypto";
import { mkdir, writeFile, open } from "node:fs/promises";
import { join } from "node:path";
import { MiB } from "./stats.mjs";

/**
 * A deterministic pseudo-random generator (mulberry32): the same folder shape on every run, so
 * runs are comparable; contents of the incompressible files still come from crypto.randomBytes.
 */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "model data train epoch loss accuracy batch layer weight bias tensor gradient optimizer learning rate " +
  "dropout dataset label feature vector matrix sample validation test score metric checkpoint config " +
  "input output run plan tag knit lineage pipeline image container volume result precision recall"
).split(" ");

/**
 * Text like logs, CSV and JSON: words, numbers and punctuation. gzip -6 shrinks it about 3-4×.
 * A corpus far longer than gzip's 32 KiB window, so slices of it compress like fresh text.
 */
function textCorpus(random, bytes) {
  const lines = [];
  let size = 0;
  for (let line = 0; size < bytes; line++) {
    let text;
    switch (line % 3) {
      case 0:
        text = `${line},${(random() * 1000).toFixed(4)},${(random() * 2 - 1).toFixed(6)},${WORDS[Math.floor(random() * WORDS.length)]}`;
        break;
      case 1:
        text = `{"step": ${line}, "loss": ${random().toFixed(5)}, "tag": "${WORDS[Math.floor(random() * WORDS.length)]}:${Math.floor(random() * 100)}"}`;
        break;
      default:
        text = Array.from({ length: 4 + Math.floor(random() * 10) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ");
    }
    lines.push(text);
    size += text.length + 1;
  }
  return Buffer.from(lines.join("\n") + "\n").subarray(0, bytes);
}

/** A 16-bit sensor-like signal: smooth wave plus noise in the low bits. gzip -6 saves roughly a third. */
function signalBlock(random, bytes) {
  const samples = new Int16Array(bytes / 2);
  for (let index = 0; index < samples.length; index++) {
    samples[index] = Math.round(8000 * Math.sin(index / 300) + 2000 * Math.sin(index / 37) + (random() - 0.5) * 256);
  }
  return Buffer.from(samples.buffer);
}

/** Sparse tensors: mostly zeros with random values sprinkled in. gzip -6 shrinks it many times. */
function sparseBlock(random, bytes) {
  const block = Buffer.alloc(bytes);
  for (let index = 0; index < bytes; index += 1 + Math.floor(random() * 64)) block[index] = Math.floor(random() * 256);
  return block;
}

/** Writes `total` bytes to `path`, repeating `block` (blocks are longer than gzip's window). */
async function writeRepeated(path, block, total) {
  const handle = await open(path, "w");
  try {
    for (let written = 0; written < total; ) {
      const length = Math.min(block.length, total - written);
      await handle.write(block, 0, length);
      written += length;
    }
  } finally {
    await handle.close();
  }
}

async function writeRandom(path, total) {
  const handle = await open(path, "w");
  try {
    for (let written = 0; written < total; ) {
      const length = Math.min(4 * MiB, total - written);
      await handle.write(randomBytes(length));
      written += length;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Makes a folder of about `totalBytes` shaped like a machine-learning Data: 10% many small text
 * files (0.5-16 KiB, 100 per sub-folder), 30% medium files (1-8 MiB: CSV text, sensor signals),
 * 60% a few large binaries (random, as in compressed images or weights; and compressible sparse
 * tensors). Returns the file count and exact byte total.
 */
export async function makeMixedFolder(dir, totalBytes) {
  const random = prng(20241124);
  const corpus = textCorpus(random, 8 * MiB);
  const signal = signalBlock(random, 8 * MiB);
  const sparse = sparseBlock(random, 8 * MiB);
  let files = 0;
  let bytes = 0;

  const smallBudget = Math.floor(totalBytes * 0.1);
  for (let used = 0; used < smallBudget; ) {
    const size = Math.min(smallBudget - used, 512 + Math.floor(random() * 16 * 1024));
    const folder = join(dir, "small", `part-${String(Math.floor(files / 100)).padStart(4, "0")}`);
    if (files % 100 === 0) await mkdir(folder, { recursive: true });
    const offset = Math.floor(random() * (corpus.length - size));
    await writeFile(join(folder, `record-${files}.txt`), corpus.subarray(offset, offset + size));
    used += size;
    files += 1;
  }
  bytes += smallBudget;

  const mediumBudget = Math.floor(totalBytes * 0.3);
  await mkdir(join(dir, "medium"), { recursive: true });
  for (let used = 0, index = 0; used < mediumBudget; index++) {
    const size = Math.min(mediumBudget - used, MiB + Math.floor(random() * 7 * MiB));
    if (index % 2 === 0) {
      const offset = Math.floor(random() * (corpus.length - size));
      await writeFile(join(dir, "medium", `table-${index}.csv`), corpus.subarray(offset, offset + size));
    } else {
      await writeFile(join(dir, "medium", `signal-${index}.bin`), signal.subarray(0, size));
    }
    used += size;
    files += 1;
  }
  bytes += mediumBudget;

  const largeBudget = totalBytes - smallBudget - mediumBudget;
  const quarter = Math.floor(largeBudget / 4);
  await mkdir(join(dir, "large"), { recursive: true });
  const large = [
    ["weights-0.bin", (path, size) => writeRandom(path, size)],
    ["images-0.bin", (path, size) => writeRandom(path, size)],
    ["sparse-0.bin", (path, size) => writeRepeated(path, sparse, size)],
    ["signal-0.bin", (path, size) => writeRepeated(path, signal, size)],
  ];
  for (const [index, [name, write]] of large.entries()) {
    const size = index === large.length - 1 ? largeBudget - 3 * quarter : quarter;
    await write(join(dir, "large", name), size);
    files += 1;
  }
  bytes += largeBudget;
  return { files, bytes };
}

/**
 * Makes a folder of `count` small text files (64 B to 4 KiB, about 2 KiB on average; 1,000 per
 * sub-folder), where the cost per file (walking, opening, creating, closing) outweighs the bytes.
 * Returns the file count and exact byte total.
 */
export async function makeSmallFilesFolder(dir, count) {
  const random = prng(20261202);
  const corpus = textCorpus(random, 8 * MiB);
  let bytes = 0;
  for (let index = 0; index < count; index++) {
    const folder = join(dir, `part-${String(Math.floor(index / 1000)).padStart(4, "0")}`);
    if (index % 1000 === 0) await mkdir(folder, { recursive: true });
    const size = 64 + Math.floor(random() * (4096 - 64));
    const offset = Math.floor(random() * (corpus.length - size));
    await writeFile(join(folder, `item-${index}.txt`), corpus.subarray(offset, offset + size));
    bytes += size;
  }
  return { files: count, bytes };
}

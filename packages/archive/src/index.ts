export { ArchiveTooLargeError, CorruptArchiveError, SymlinkLoopError, UnsafeArchiveError } from "./errors.js";
export { Md5Tap, md5Tap } from "./md5.js";
export { DEFAULT_GZIP_LEVEL, DEFAULT_GZIP_THREADS, packDirectory, tarBlocks, type PackOptions } from "./pack.js";
export { extractTarGz, type ExtractLimits, type ExtractOptions, type ExtractResult } from "./extract.js";
export { readTar, type EntryHandler, type TarEntry } from "./tar-reader.js";
export { BLOCK, END_OF_ARCHIVE, encodeHeader, paddingAfter, type EntryHeader } from "./tar-format.js";
export { rawTar, rawTarGz, type RawEntry } from "./raw-archive.js";
export { ParallelGzip, type ParallelGzipOptions } from "./parallel-gzip.js";

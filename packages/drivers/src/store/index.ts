export type { ByteRange, DataFileEntry, DataFileList, DataFileStream, DataStore, OutgoingData, PartialUpload, ReceivedData } from "./data-store.js";
export { MAX_LISTED_ENTRIES } from "./browse.js";
export {
  ChecksumMismatchError,
  DataExistsError,
  DataMissingError,
  DataPathMissingError,
  DataSealedError,
  InvalidKnitIdError,
  NotAFileError,
  RangeNotSatisfiableError,
  UnsafeDataPathError,
} from "./errors.js";
export { createLocalDataStore } from "./local-data-store.js";
export { removeTree } from "./remove-tree.js";
export { defuseTree, type DefuseReport } from "./defuse-tree.js";

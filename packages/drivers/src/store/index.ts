export type {
  ByteRange,
  DataFileEntry,
  DataFileList,
  DataFileStream,
  DataStore,
  ExpectedChecksum,
  FollowOptions,
  OutgoingData,
  PartialUpload,
  ReceivedData,
  UploadLimits,
  VolumeWriter,
} from "./data-store.js";
export { MAX_LISTED_ENTRIES } from "./browse.js";
export {
  ChecksumMismatchError,
  DataExistsError,
  DataMissingError,
  DataPathMissingError,
  DataSealedError,
  InsufficientSpaceError,
  InvalidKnitIdError,
  NotAFileError,
  RangeNotSatisfiableError,
  UnsafeDataPathError,
} from "./errors.js";
export { createLocalDataStore } from "./local-data-store.js";
export { removeTree } from "./remove-tree.js";
export { defuseTree, type DefuseReport } from "./defuse-tree.js";

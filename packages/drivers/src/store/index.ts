export type { DataStore, OutgoingData, PartialUpload, ReceivedData } from "./data-store.js";
export {
  ChecksumMismatchError,
  DataExistsError,
  DataMissingError,
  DataSealedError,
  InvalidKnitIdError,
} from "./errors.js";
export { createLocalDataStore } from "./local-data-store.js";
export { removeTree } from "./remove-tree.js";
export { defuseTree, type DefuseReport } from "./defuse-tree.js";

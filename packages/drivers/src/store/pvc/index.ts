export { createPvcDataStore, DATA_KNITID_LABEL, SEALED_ANNOTATION, type PvcDataStore, type PvcDataStoreOptions } from "./pvc-data-store.js";
export { startDataAgent, type DataAgent, type DataAgentOptions } from "./data-agent.js";
export { agentPodManifest, isSweepable, AGENT_COMPONENT, DEADLINE_ANNOTATION } from "./agent-pods.js";
export type { AgentMode } from "./agent-protocol.js";

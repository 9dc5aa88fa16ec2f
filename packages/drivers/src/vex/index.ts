export { plannedExpansion, type ClaimUsage, type ExpansionPolicy } from "./expansion.js";
export { volumeUsedSamples, type VolumeUsedSample } from "./kubelet-metrics.js";
export { createVolumeExpander, claimsMountedWritable, VEX_MANAGED_ANNOTATION, type VolumeExpander, type VolumeExpanderOptions, type ExpansionRound } from "./volume-expander.js";

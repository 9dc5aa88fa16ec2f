/**
 * Everything that speaks to a Kubernetes API server: the runtime, the pvc store and its data agent,
 * the volume expander. An entry of its own because @kubernetes/client-node costs about half a
 * second and 70 MiB to load, which the embedded default (docker runtime, local store) never needs.
 */
export * from "./runtime/kubernetes/index.js";
export * from "./store/pvc/index.js";
export * from "./vex/index.js";

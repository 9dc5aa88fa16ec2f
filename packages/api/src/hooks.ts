import { Type, type Static } from "@sinclair/typebox";
import { RunDetail } from "./run-json.js";

/**
 * Lifecycle webhooks (spec/api.md §7): every hook gets `POST` with the run as RunDetail JSON (before
 * hooks the old status, after hooks the new one).
 */
export const LifecycleHookPayload = RunDetail;
export type LifecycleHookPayload = Static<typeof LifecycleHookPayload>;

/**
 * What the ready → starting before hook may answer (`Content-Type: application/json` exactly) to
 * set environment variables of the worker's main container. Other fields are ignored.
 */
export const LifecycleHookResponse = Type.Object({
  knitfabExtension: Type.Optional(Type.Object({ env: Type.Optional(Type.Record(Type.String(), Type.String())) })),
});
export type LifecycleHookResponse = Static<typeof LifecycleHookResponse>;

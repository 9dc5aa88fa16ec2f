import { Type, type ObjectOptions, type TProperties } from "@sinclair/typebox";

/**
 * A response object with exactly these fields: an unexpected field (a renamed or stray key) fails
 * validation instead of slipping through to clients.
 */
export const strictObject = <T extends TProperties>(properties: T, options: ObjectOptions = {}) =>
  Type.Object(properties, { ...options, additionalProperties: false });

/** A field that must be absent: it tells the members of a union apart and reads as `undefined` in TypeScript. */
export const Absent = () => Type.Optional(Type.Never());

// The matching rule of spec/model.md §6 in plain code: the specification that the database's SQL
// (packages/db/src/nominations/nominate.ts) is checked against by a property test on random Data and
// Plans (packages/db/src/nominations/matching-spec.test.ts), on PGlite and PostgreSQL.
import { InputError } from "./errors.js";
import type { RunStatus } from "./run-status.js";
import { KNIT_ID, KNIT_TIMESTAMP, isSystemKey, type Tag } from "./tags.js";
import { parseTimestamp } from "./timestamp.js";

/** A plan input's tags split into the user tags data must carry and the system-tag pins. */
export type InputRequirement = { userTags: Tag[]; knitIdPin?: string; timestampPin?: Date };

/** Split validated input tags into user tags and `knit#id` / `knit#timestamp` pins. */
export function splitInputTags(tags: readonly Tag[]): InputRequirement {
  const requirement: InputRequirement = { userTags: [] };
  for (const tag of tags) {
    if (!isSystemKey(tag.key)) {
      requirement.userTags.push({ key: tag.key, value: tag.value });
    } else if (tag.key === KNIT_ID) {
      requirement.knitIdPin = tag.value;
    } else if (tag.key === KNIT_TIMESTAMP) {
      const instant = parseTimestamp(tag.value);
      if (!instant) throw new InputError(`"knit#timestamp:${tag.value}" is not an RFC3339 date-time`);
      requirement.timestampPin = instant;
    }
  }
  return requirement;
}

export type MatchableData = { knitId: string; userTags: readonly Tag[]; timestamp?: Date | undefined; runStatus: RunStatus };

function hasAllTags(have: readonly Tag[], want: readonly Tag[]): boolean {
  return want.every((w) => have.some((h) => h.key === w.key && h.value === w.value));
}

function pinsHold(input: InputRequirement, data: MatchableData): boolean {
  if (input.knitIdPin !== undefined && input.knitIdPin !== data.knitId) return false;
  if (input.timestampPin !== undefined && (data.timestamp === undefined || data.timestamp.getTime() !== input.timestampPin.getTime())) {
    return false;
  }
  return true;
}

/**
 * May this data feed this input (model.md §6)?
 * With user tags: the producing run is done, the data carries every user tag, and the pins hold.
 * Pins only: the pins alone decide — the reference does not look at the producing run here, so
 * processing or failed data can be nominated (kept for compatibility).
 */
export function inputMatchesData(input: InputRequirement, data: MatchableData): boolean {
  if (input.userTags.length > 0) {
    return data.runStatus === "done" && hasAllTags(data.userTags, input.userTags) && pinsHold(input, data);
  }
  if (input.knitIdPin === undefined && input.timestampPin === undefined) return false;
  return pinsHold(input, data);
}

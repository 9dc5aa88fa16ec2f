import { CommandError } from "../cli/errors.js";

/** The output formats of `knit data lineage` and `knit plan graph`. */
export type GraphFormat = "dot" | "svg" | "png";

export function parseGraphFormat(text: string): GraphFormat {
  if (text === "dot" || text === "svg" || text === "png") return text;
  throw new CommandError(`--format ${text}: choose dot, svg or png`);
}

import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { ValueError } from "../cli/errors.js";
import { printJson } from "../cli/output.js";
import { listDataFiles } from "../client/api.js";
import { HttpError, describeHttpError, readText } from "../client/http.js";
import type { DataFileList } from "@knitfab/api";

interface LsOptions {
  recursive?: boolean;
  json?: boolean;
}

export function registerDataLs(group: Command, runtime: Runtime): void {
  defineCommand<LsOptions>(group, runtime, {
    name: "ls <KNIT_ID> [PATH]",
    summary: "list a Data's files without downloading it",
    description:
      "Lists what is at PATH inside the Data (its root by default): a table of type (file, dir, link), " +
      "size in bytes and path; links show where they point. --json prints the server's listing with totals.",
    examples: ["knit data ls 0a1b2c3d-...-9f", "knit data ls -r 0a1b2c3d-...-9f sub/dir", "knit data ls --json 0a1b2c3d-...-9f"],
    configure: (c) => c
      .option("-r, --recursive", "list every descendant of the folder, not only its children")
      .option("--json", "print the listing as JSON (with totals)"),
    run: async (context, [knitId, path = ""], options) => {
      const client = await context.client();
      let listing: DataFileList;
      try {
        listing = await listDataFiles(client, knitId as string, path, options.recursive ?? false);
      } catch (error) {
        throw describeHttpError(error, { notFound: `not found: knit#id:${knitId} ${path}`.trimEnd() });
      }
      if (listing.truncated) context.logger.info(`the listing stops at ${listing.entries.length} entries: list a deeper PATH to see the rest`);
      if (options.json) return printJson(context, listing);
      await context.io.print(fileTable(listing));
    },
  });
}

/** One line per entry: type, size (right-aligned), path (`-> target` for links). */
function fileTable(listing: DataFileList): string {
  const width = Math.max(4, ...listing.entries.map((entry) => String(entry.size).length));
  const lines = listing.entries.map((entry) => {
    const path = entry.type === "dir" ? `${entry.path}/` : entry.type === "link" ? `${entry.path} -> ${entry.target ?? ""}` : entry.path;
    return `${entry.type.padEnd(4)}  ${String(entry.size).padStart(width)}  ${path}`;
  });
  return lines.map((line) => `${line}\n`).join("");
}

interface CatOptions {
  range?: string;
}

export function registerDataCat(group: Command, runtime: Runtime): void {
  defineCommand<CatOptions>(group, runtime, {
    name: "cat <KNIT_ID> <PATH>",
    summary: "print a file of a Data to stdout without downloading the Data",
    description:
      "Streams the file at PATH inside the Data to stdout, byte for byte, or only --range of it " +
      "(FIRST-LAST, FIRST- or -COUNT for the last COUNT bytes; byte offsets start at 0).",
    examples: ["knit data cat 0a1b2c3d-...-9f results/metrics.csv", "knit data cat --range -1000 0a1b2c3d-...-9f train.log", "knit data cat 0a1b2c3d-...-9f model.bin > model.bin"],
    configure: (c) => c.option("--range <FIRST-LAST>", "only these bytes: FIRST-LAST, FIRST- or -COUNT", parseRangeOption),
    run: async (context, [knitId, path], options) => {
      const client = await context.client();
      const headers: Record<string, string> = options.range === undefined ? {} : { Range: `bytes=${options.range}` };
      const response = await client.send("GET", ["x", "data", knitId as string, "file"], { query: [["path", path as string]], headers });
      if (response.status !== 200 && response.status !== 206) {
        const error = new HttpError(response.status, await readText(response.body));
        throw describeHttpError(error, { notFound: `not found: knit#id:${knitId} ${path}` });
      }
      // Loaded here: a static import would load Node's stream library at every start of every command.
      const { pipeline } = await import("node:stream/promises");
      await pipeline(response.body, context.io.stdout, { end: false });
    },
  });
}

function parseRangeOption(value: string): string {
  if (!/^(\d+-\d*|-\d+)$/.test(value)) throw new ValueError(`invalid --range "${value}": use FIRST-LAST, FIRST- or -COUNT (bytes, from 0), e.g. 0-99`);
  const [first, last] = value.split("-");
  if (first !== "" && last !== "" && Number(last) < Number(first)) throw new ValueError(`invalid --range "${value}": LAST is before FIRST`);
  return value;
}

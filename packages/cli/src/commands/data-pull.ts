import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { UsageError } from "../cli/errors.js";

interface Options {
  extract?: boolean;
}

export function registerDataPull(group: Command, runtime: Runtime): void {
  defineCommand<Options>(group, runtime, {
    name: "pull <KNIT_ID> [DEST]",
    summary: "download Data as tar.gz, or extract it with -x",
    description:
      "Saves the Data as DEST/KNIT_ID.tar.gz (DEST defaults to '.'; '-' writes the archive to stdout), " +
      "or with -x extracts its files into DEST/KNIT_ID/. The download is checked against the server's MD5.",
    examples: ["knit data pull -x 0a1b2c3d-...-9f ./data", "knit data pull 0a1b2c3d-...-9f - | tar -tz"],
    configure: (c) => c.option("-x, --extract", "extract the files instead of saving the archive"),
    run: async (context, [knitId, dest = "."], options) => {
      if (options.extract && dest === "-") throw new UsageError("-x cannot write to stdout ('-'): give a destination directory");
      // Ctrl+C aborts the download, so the half-written files are taken back before exiting.
      const interrupt = new AbortController();
      const removeInterrupt = context.io.onInterrupt(() => interrupt.abort());
      try {
        // Checksums, extraction and the progress bar load only now, for this command.
        const { pull } = await import("../transfer/pull.js");
        await pull(context, knitId as string, dest, options.extract ?? false, interrupt.signal);
      } finally {
        removeInterrupt();
      }
    },
  });
}

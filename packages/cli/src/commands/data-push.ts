import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { collect, parseTag, requireUserTags } from "../cli/values.js";
import type { PushOptions } from "../transfer/push.js";

export function registerDataPush(group: Command, runtime: Runtime): void {
  defineCommand<PushOptions>(group, runtime, {
    name: "push <SOURCE...>",
    summary: "upload directories as new Data",
    description:
      "Uploads each SOURCE directory as a new Data, then tags it with --tag, the knitenv tags and, " +
      "with --name, name:<directory name>. Prints each new Data as JSON. Ctrl+C cancels the upload in " +
      "progress; the cancelled upload leaves no Data behind.",
    examples: ["knit data push -t project:mnist -t type:dataset -n ./dataset", "knit data push --dereference ./with-symlinks"],
    configure: (c) => c
      .option("-t, --tag <KEY:VALUE>", "tag to put on the Data (repeatable)", collect(parseTag), [])
      .option("-n, --name", "add the tag name:<basename of SOURCE>")
      .option("-L, --dereference", "follow symbolic links and upload what they point to"),
    run: async (context, sources, options) => {
      requireUserTags(options.tag, "--tag");
      // Ctrl+C is handled for the whole command, so it is never missed between two steps.
      const interrupt = new AbortController();
      const removeInterrupt = context.io.onInterrupt(() => interrupt.abort());
      try {
        // The packer, gzip and the progress bar load only now, for this command.
        const { pushAll } = await import("../transfer/push.js");
        await pushAll(context, sources, options, interrupt.signal);
      } finally {
        removeInterrupt();
      }
    },
  });
}

import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { CommandError } from "../cli/errors.js";
import { jsonDocument } from "../cli/json.js";
import { collect, parseTag, requireUserTags, type Tag } from "../cli/values.js";
import { changeDataTags } from "../client/api.js";
import { describeHttpError } from "../client/http.js";

interface Options {
  add: Tag[];
  remove: Tag[];
  removeKey: string[];
}

export function registerDataTag(group: Command, runtime: Runtime): void {
  defineCommand<Options>(group, runtime, {
    name: "tag <KNIT_ID>",
    summary: "add or remove tags of Data",
    description: "Changes user tags of Data. Removals are applied before additions. Prints nothing on stdout; the updated Data is logged on stderr.",
    examples: ["knit data tag --add type:model --remove type:draft --remove-key owner 0a1b2c3d-...-9f"],
    configure: (c) => c
      .option("--add <KEY:VALUE>", "tag to add (repeatable)", collect(parseTag), [])
      .option("--remove <KEY:VALUE>", "tag to remove (repeatable)", collect(parseTag), [])
      .option("--remove-key <KEY>", "remove every tag with this key (repeatable)", collect((v: string) => v.trim()), []),
    run: async (context, [knitId], options) => {
      requireUserTags(options.add, "--add");
      requireUserTags(options.remove, "--remove");
      const change = { add: options.add, remove: options.remove, remove_key: options.removeKey };
      const client = await context.client();
      try {
        const detail = await changeDataTags(client, knitId as string, change);
        context.logger.info(`[OK] Tags are updated for data knit#id:${knitId}\n${jsonDocument(detail)}`);
      } catch (error) {
        context.logger.info(`failed to update tags of data knit#id:${knitId}; requested change:\n${jsonDocument(change)}`);
        const described = describeHttpError(error, { notFound: `knit#id:${knitId} is not found`, badRequest: "invalid request" });
        throw new CommandError(described.message);
      }
    },
  });
}

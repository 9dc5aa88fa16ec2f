import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { defineCommand, type Runtime } from "../cli/define.js";
import { UsageError } from "../cli/errors.js";

interface Options {
  scratch?: boolean;
  input: string;
}

export function registerPlanTemplate(group: Command, runtime: Runtime): void {
  defineCommand<Options>(group, runtime, {
    name: "template [IMAGE:TAG]",
    summary: "generate a Plan file from an image archive or from scratch",
    description:
      "Reads an image archive ('docker save' or 'podman save', docker-archive or OCI) from stdin or -i and " +
      "writes a commented Plan file: image, entrypoint, args, and inputs/outputs from the image's paths " +
      "named in/ or out/. Tags and resources come from knitenv. With --scratch no image is read.",
    examples: [
      "docker save train:v1 | knit plan template > train.plan.yaml",
      "podman save --format oci-archive -o img.tar train:v1 && knit plan template -i img.tar train:v1",
      "knit plan template --scratch > plan.yaml",
    ],
    configure: (c) => c
      .option("--scratch", "generate a template without an image")
      .option("-i, --input <FILE>", "image archive to read ('-' for stdin)", "-"),
    run: async (context, args, options) => {
      // The archive reader (and the tar library) load only for this command.
      const [env, { imageTemplate, renderTemplate, scratchTemplate }, { scanImageArchive, selectImage }] = await Promise.all([
        context.knitEnv(),
        import("../template/template.js"),
        import("../template/image-archive.js"),
      ]);
      const [tag] = args;
      let template;
      if (options.scratch) {
        if (tag !== undefined) throw new UsageError("--scratch takes no IMAGE:TAG; drop one of them");
        template = scratchTemplate(env);
      } else {
        const source = options.input === "-" ? context.io.stdin : createReadStream(resolve(context.io.cwd, options.input));
        const { image, name } = selectImage(await scanImageArchive(source), tag);
        template = imageTemplate(image.config, name, env);
      }
      await context.io.print(renderTemplate(template));
      context.io.stderr.write("# Plan file is generated. modify it as you like.\n");
    },
  });
}

import { fileURLToPath } from "node:url";

/** Absolute path of the built console (index.html + assets), written by `npm run build -w @knitfab/console`. */
export const consoleDistPath = fileURLToPath(new URL("./dist", import.meta.url));

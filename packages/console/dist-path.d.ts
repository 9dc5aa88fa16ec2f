/** Absolute path of the built console (index.html + assets), written by `npm run build -w @knitfab/console`. */
export declare const consoleDistPath: string;

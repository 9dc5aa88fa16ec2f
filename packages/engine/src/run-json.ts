/** Hooks receive the run as `knit run show` prints it: the same wire JSON as the HTTP API. */
export { runDetailJson } from "@knitfab/db";

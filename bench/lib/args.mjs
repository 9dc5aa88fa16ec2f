import { parseArgs } from "node:util";

/**
 * Reads `--name value` options with numeric defaults; `--help` prints the usage and exits.
 * Bad values stop the script with a message instead of running a meaningless benchmark. A value
 * must be positive, except that 0 is allowed where the default is 0 (an option that is off unless
 * given). `switches` are the names of boolean options (`--name`), false unless given; `lists` are
 * comma-separated options (`--name a,b`).
 */
export function numericOptions(usage, defaults, switches = [], lists = {}) {
  const options = Object.fromEntries([...Object.keys(defaults), ...Object.keys(lists)].map((name) => [name, { type: "string" }]));
  for (const name of switches) options[name] = { type: "boolean" };
  options.help = { type: "boolean" };
  let values;
  try {
    ({ values } = parseArgs({ options, strict: true }));
  } catch (error) {
    fail(`${error.message}\n${usage}`);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const result = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    const raw = values[name];
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < 0 || (value === 0 && fallback !== 0)) fail(`--${name} must be a positive number, got "${raw}"\n${usage}`);
    result[name] = value;
  }
  for (const name of switches) result[name] = values[name] === true;
  // `lists`: name → [default text, allowed words, "number" or a RegExp each item must match]; the result is an array of items.
  for (const [name, [fallback, allowed]] of Object.entries(lists)) {
    const raw = values[name] ?? fallback;
    const items = raw.split(",").map((item) => item.trim()).filter((item) => item !== "");
    if (items.length === 0) fail(`--${name} must list at least one value\n${usage}`);
    if (allowed === "number") {
      const numbers = items.map(Number);
      if (numbers.some((value) => !Number.isInteger(value) || value <= 0)) fail(`--${name} must be positive whole numbers separated by commas, got "${raw}"\n${usage}`);
      result[name] = numbers;
    } else if (allowed instanceof RegExp) {
      const bad = items.filter((item) => !allowed.test(item));
      if (bad.length > 0) fail(`--${name}: not understood: ${bad.join(", ")}\n${usage}`);
      result[name] = items;
    } else {
      const unknown = items.filter((item) => !allowed.includes(item));
      if (unknown.length > 0) fail(`--${name}: unknown ${unknown.join(", ")} (choose from ${allowed.join(", ")})\n${usage}`);
      result[name] = items;
    }
  }
  return result;
}

export function fail(message) {
  console.error(message);
  process.exit(2);
}

/** Runs the script's main function; a failure prints its message (not a minified stack) and exits 1. */
export async function main(fn) {
  try {
    await fn();
  } catch (error) {
    console.error(`benchmark failed: ${error?.message ?? error}${error?.query ? `\nquery: ${error.query}` : ""}`);
    process.exit(1);
  }
}

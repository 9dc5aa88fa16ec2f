/**
 * A reader for the one shape the profile store almost always has: nested block maps of simple
 * string values, as written by `knit init` (the `yaml` package) or by the reference's Go YAML:
 *
 *     /home/alice/project-x:
 *       apiRoot: https://10.10.0.3:30803/api
 *       cert:
 *         ca: LS0tLS1CRUdJTi...
 *
 * Every command that talks to the server reads the store first, and loading the `yaml` package
 * costs more CPU than the rest of `knit data find` together. This reader answers `undefined` for
 * anything outside that shape (comments, flow style, sequences, anchors, tabs, numbers, booleans,
 * nulls, escapes, duplicate keys, CRLF, ...), and then the caller parses with `yaml`: whatever it
 * does answer is exactly what `yaml`'s parse gives for the same text (plain-yaml.test.ts checks
 * that on generated stores).
 */

// A key or plain value starts with a letter, `_` or `/`: never a number, a YAML indicator or `~`.
const KEY = /^[A-Za-z_/][A-Za-z0-9_/.~ -]*$/;
const PLAIN_VALUE = /^[A-Za-z_/][A-Za-z0-9_/.~:+=%-]*$/;
const QUOTED_VALUE = /^(?:"([^"\\]*)"|'([^']*)')$/;
// Words YAML 1.2 reads as something other than the string itself.
const NOT_STRINGS = new Set(["null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"]);
// Indentation, key, and the value after `: ` (none: a map follows on the next lines).
const LINE = /^( *)([^ :][^:]*?):(?: +(.+))?$/;

type PlainMap = { [key: string]: string | PlainMap };

function key(text: string): string | undefined {
  if (!KEY.test(text) || text.endsWith(" ") || NOT_STRINGS.has(text) || text === "__proto__") return undefined;
  return text;
}

function value(text: string): string | undefined {
  const quoted = QUOTED_VALUE.exec(text);
  if (quoted) return quoted[1] ?? quoted[2];
  // A plain value ending in `:` would open a map; one holding `:` right before a space cannot occur (no spaces).
  if (!PLAIN_VALUE.test(text) || text.endsWith(":") || NOT_STRINGS.has(text)) return undefined;
  return text;
}

/** The nested maps of `text`, or `undefined` when `text` is not of the simple shape described above. */
export function parsePlainYamlMap(text: string): PlainMap | undefined {
  const root: PlainMap = {};
  const levels: { indent: number; map: PlainMap }[] = [{ indent: 0, map: root }];
  let opened: { indent: number; map: PlainMap } | undefined;
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) return undefined;
  for (const line of lines) {
    const match = LINE.exec(line);
    if (!match) return undefined;
    const indent = (match[1] as string).length;
    const name = key(match[2] as string);
    if (name === undefined) return undefined;
    if (opened) {
      // The first entry of a map opened by `name:` on the line before: deeper than its key.
      if (indent <= opened.indent) return undefined;
      levels.push({ indent, map: opened.map });
      opened = undefined;
    } else {
      while (levels.length > 1 && (levels.at(-1) as { indent: number }).indent > indent) levels.pop();
    }
    const level = levels.at(-1) as { indent: number; map: PlainMap };
    if (level.indent !== indent || Object.hasOwn(level.map, name)) return undefined;
    const rest = match[3];
    if (rest === undefined) {
      const child: PlainMap = {};
      level.map[name] = child;
      opened = { indent, map: child };
    } else {
      const scalar = value(rest);
      if (scalar === undefined) return undefined;
      level.map[name] = scalar;
    }
  }
  // A key with nothing under it is null in YAML, not a map.
  return opened ? undefined : root;
}

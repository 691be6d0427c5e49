/**
 * JSON files that must hold an object (`opt.json`, `site.json`), with errors that name the file.
 *
 * @module
 */

/**
 * Parses `text` as JSON holding an object; `file` names it in errors.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { parseJsonObject } from "./json.ts";
 *
 * equal(parseJsonObject('{"ngf": 64}', "opt.json").ngf, 64);
 * throws(() => parseJsonObject("[1]", "opt.json"), /opt.json as it must hold an object/);
 * throws(() => parseJsonObject("{", "opt.json"), /opt.json as it is not JSON/);
 * ```
 */
export function parseJsonObject(text: string, file: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot read ${file} as it is not JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new TypeError(`Cannot read ${file} as it must hold an object: current value is ${shown}`);
  }
  return raw as Record<string, unknown>;
}

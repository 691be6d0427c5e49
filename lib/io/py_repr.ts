/**
 * A bounded, Python-like text of an unpickled value, for listings and error messages: however
 * large, shared or cyclic the value, the text stops after a length budget and the work stops
 * with it.
 *
 * @module
 */
import { PyCallable, PyInstance } from "./py_objects.ts";

interface Frame {
  node: object;
  items: Iterator<unknown>;
  isDict: boolean;
  close: string;
  count: number;
}

type Job = string | { value: unknown } | Frame;

/**
 * The value as Python's `repr` writes it (tuples as lists, since both unpickle to arrays), cut
 * after `limit` characters with `...`. A list or dict inside itself is `[...]` or `{...}`, as in
 * Python; a shared one is written again, within the same budget. Takes time in proportion to
 * `limit`, not to the value.
 *
 * @example Usage
 * ```ts
 * import { pyRepr } from "./py_repr.ts";
 * import { equal } from "node:assert/strict";
 *
 * const cycle: unknown[] = [1, "it's", null, true];
 * cycle.push(cycle);
 * equal(pyRepr(new Map([["a", cycle]])), `{'a': [1, "it's", None, True, [...]]}`);
 * equal(pyRepr("x".repeat(100), 10), "'xxxxxxxxx...");
 * ```
 */
export function pyRepr(value: unknown, limit = 200): string {
  let out = "";
  const path = new Set<object>();
  const jobs: Job[] = [{ value }];
  while (jobs.length > 0 && out.length <= limit) {
    const job = jobs.pop()!;
    if (typeof job === "string") {
      out += job;
    } else if ("value" in job) {
      const v = job.value;
      if (Array.isArray(v) || v instanceof Map) {
        const isDict = v instanceof Map;
        if (path.has(v)) {
          out += isDict ? "{...}" : "[...]";
        } else {
          path.add(v);
          out += isDict ? "{" : "[";
          const items = isDict ? v.entries() : v.values();
          jobs.push({ node: v, items, isDict, close: isDict ? "}" : "]", count: 0 });
        }
      } else {
        out += leafRepr(v, limit + 1 - out.length);
      }
    } else {
      const next = job.items.next();
      if (next.done) {
        out += job.close;
        path.delete(job.node);
        continue;
      }
      if (job.count++ > 0) out += ", ";
      jobs.push(job);
      if (job.isDict) {
        const [key, item] = next.value as [unknown, unknown];
        jobs.push({ value: item }, ": ", { value: key });
      } else {
        jobs.push({ value: next.value });
      }
    }
  }
  return out.length > limit || jobs.length > 0 ? `${out.slice(0, limit)}...` : out;
}

/** A value that holds no others, written in at most about `room` characters. */
function leafRepr(value: unknown, room: number): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "bigint") return String(value);
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return String(value);
  }
  if (typeof value === "string") return strRepr(value.slice(0, Math.max(0, room)));
  if (value instanceof Uint8Array) return bytesRepr(value.subarray(0, Math.max(0, room)));
  if (value instanceof PyCallable) return `<${value.name}>`;
  if (value instanceof PyInstance) return `<${value.className} object>`;
  return `<${(value as object).constructor?.name ?? "object"}>`;
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function strRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c in ESCAPES) out += ESCAPES[c];
    else if (c === quote) out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return out + quote;
}

function bytesRepr(bytes: Uint8Array): string {
  let out = "b'";
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (c in ESCAPES) out += ESCAPES[c];
    else if (c === "'") out += "\\'";
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return `${out}'`;
}

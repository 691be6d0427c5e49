/**
 * Bounded zlib inflate for PNG image data: the runtime's native zlib where it has one (Deno,
 * Node), found through `process.getBuiltinModule` so that no module imports `node:zlib` and a
 * browser bundle loads; `fflate` elsewhere (browsers). Both stop as soon as the output passes
 * the limit, so a small file that inflates to gigabytes costs neither memory nor time.
 *
 * @module
 */
import { Unzlib } from "fflate";

/** The part of `node:zlib` used here. */
interface NodeZlib {
  inflateSync(
    data: Uint8Array,
    options: { chunkSize: number; maxOutputLength: number },
  ): Uint8Array;
}

/** The runtime's zlib, or undefined in a browser. */
const NATIVE = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
  .process?.getBuiltinModule?.("node:zlib") as NodeZlib | undefined;

/** Thrown when the output passes the limit. */
export class InflateLimitError extends RangeError {}

/** Options of {@linkcode inflateZlib}. */
export interface InflateZlibOptions {
  /** The most bytes the output may hold. */
  limit: number;
  /** The bytes expected, to size the output in one piece (at most `limit`). */
  expected: number;
}

/**
 * Inflates zlib data; an {@linkcode InflateLimitError} once the output passes `limit`, the
 * inflater's own error for damaged data.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { zlibSync } from "fflate";
 * import { InflateLimitError, inflateZlib } from "./zlib.ts";
 *
 * const data = zlibSync(new Uint8Array(1000));
 * equal(inflateZlib(data, { limit: 1000, expected: 1000 }).length, 1000);
 * throws(() => inflateZlib(data, { limit: 999, expected: 999 }), InflateLimitError);
 * ```
 */
export function inflateZlib(data: Uint8Array, options: InflateZlibOptions): Uint8Array {
  return NATIVE ? inflateNative(NATIVE, data, options) : inflatePortable(data, options);
}

function inflateNative(zlib: NodeZlib, data: Uint8Array, o: InflateZlibOptions): Uint8Array {
  let out: Uint8Array;
  try {
    // One output chunk of the expected size spares zlib assembling many small ones.
    out = zlib.inflateSync(data, {
      chunkSize: Math.max(64, o.expected + 1),
      maxOutputLength: Math.max(1, o.limit),
    });
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new InflateLimitError(`inflates to more than ${o.limit} bytes`);
    }
    throw error;
  }
  if (out.length > o.limit) throw new InflateLimitError(`inflates to more than ${o.limit} bytes`);
  return out;
}

/** Compressed bytes fed at a time: deflate makes at most about 1032 bytes of one. */
const STEP = 16 * 1024;

/**
 * {@linkcode inflateZlib} without the runtime's zlib (what a browser runs): `fflate`'s stream,
 * fed {@linkcode STEP} bytes at a time, so it stops within about 17 MiB past the limit.
 */
export function inflatePortable(data: Uint8Array, o: InflateZlibOptions): Uint8Array {
  let out = new Uint8Array(Math.min(o.expected, o.limit));
  let total = 0;
  const stream = new Unzlib((chunk) => {
    if (total + chunk.length > o.limit) {
      throw new InflateLimitError(`inflates to more than ${o.limit} bytes`);
    }
    if (total + chunk.length > out.length) {
      const grown = new Uint8Array(
        Math.min(o.limit, Math.max(2 * out.length, total + chunk.length)),
      );
      grown.set(out.subarray(0, total));
      out = grown;
    }
    out.set(chunk, total);
    total += chunk.length;
  });
  if (data.length === 0) stream.push(data, true);
  for (let i = 0; i < data.length; i += STEP) {
    stream.push(data.subarray(i, i + STEP), i + STEP >= data.length);
  }
  return out.subarray(0, total);
}

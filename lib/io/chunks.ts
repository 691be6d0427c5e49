/**
 * Bytes written in order through a callback, and collecting them into one array: the writers
 * fill a file (`writeOutputFile`) or memory (a web page's download) the same way.
 *
 * @module
 */

/** Receives the bytes in order. */
export type WriteChunk = (bytes: Uint8Array) => Promise<void>;

/** Writes its bytes, in order, through `write`. */
export type Fill = (write: WriteChunk) => Promise<void>;

/**
 * The bytes `fill` writes, as one array.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { collect } from "./chunks.ts";
 *
 * const bytes = await collect(async (write) => {
 *   await write(new Uint8Array([1, 2]));
 *   await write(new Uint8Array([3]));
 * });
 * deepEqual(bytes, new Uint8Array([1, 2, 3]));
 * ```
 */
export async function collect(fill: Fill): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await fill((bytes) => {
    chunks.push(bytes.slice());
    return Promise.resolve();
  });
  return concatChunks(chunks);
}

/**
 * The chunks one after another in one array (the chunk itself when there is one).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { concatChunks } from "./chunks.ts";
 *
 * deepEqual(concatChunks([new Uint8Array([1]), new Uint8Array([2, 3])]), new Uint8Array([1, 2, 3]));
 * ```
 */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

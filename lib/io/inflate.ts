/**
 * Inflates raw deflate data (a zip entry's) up to a bound, stopping as soon as the output passes
 * it, so that a few kilobytes that inflate to gigabytes (a deflate bomb) cost no more memory than
 * the bound.
 *
 * @module
 */

import { concatChunks } from "./chunks.ts";

/**
 * Compressed bytes fed to the inflater at a time. Deflate makes at most about 1032 bytes of one,
 * so a step makes at most about 17 MiB, which bounds how far past the limit the output can go.
 */
const STEP = 16 * 1024;

/**
 * Inflates the raw deflate stream `bytes`, refusing it with a `SyntaxError` as soon as it yields
 * more than `limit` bytes; `what` names it in errors, such as `zip entry 'a/data.pkl' of 'x.pth'`.
 *
 * @example Usage
 * ```ts
 * import { inflateRaw } from "./inflate.ts";
 * import { equal, rejects } from "node:assert/strict";
 *
 * const data = new TextEncoder().encode("a".repeat(1000));
 * const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate-raw"));
 * const deflated = new Uint8Array(await new Response(stream).arrayBuffer());
 * equal((await inflateRaw(deflated, 1000, "x")).length, 1000);
 * await rejects(inflateRaw(deflated, 999, "x"), /yields more than its declared 999 bytes/);
 * ```
 */
export async function inflateRaw(
  bytes: Uint8Array,
  limit: number,
  what: string,
): Promise<Uint8Array> {
  let fed = 0;
  const input = new ReadableStream<BufferSource>({
    pull(controller) {
      if (fed >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(fed, fed += STEP) as Uint8Array<ArrayBuffer>);
    },
  }, { highWaterMark: 0 });
  const reader = input.pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (error) {
      throw new SyntaxError(
        `Cannot inflate ${what} as its deflate data is corrupt: current value is ${bytes.byteLength} compressed bytes`,
        { cause: error },
      );
    }
    if (next.done) break;
    total += next.value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new SyntaxError(
        `Cannot inflate ${what} as it yields more than its declared ${limit} bytes: current value is at least ${total} bytes`,
      );
    }
    chunks.push(next.value);
  }
  return concatChunks(chunks);
}

/**
 * Writes a file as a stream of chunks into a temporary sibling that replaces the target only
 * once complete, so that a failed save never leaves a truncated checkpoint behind.
 *
 * @module
 */

/** Receives the file's bytes in order. */
export type WriteChunk = (bytes: Uint8Array) => Promise<void>;

/**
 * Runs `body` with a writer into a temporary file beside `path`, then renames it to `path`; on
 * error the temporary file is removed and the error rethrown.
 *
 * @example Usage
 * ```ts
 * import { writeOutputFile } from "./output_file.ts";
 * import { equal } from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await writeOutputFile(path, async (write) => {
 *   await write(new TextEncoder().encode("hello"));
 * });
 * equal(await Deno.readTextFile(path), "hello");
 * ```
 */
export async function writeOutputFile(
  path: string | URL,
  body: (write: WriteChunk) => Promise<void>,
): Promise<void> {
  const target = path instanceof URL ? decodeURIComponent(path.pathname) : path;
  const temporary = `${target}.partial-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const file = await Deno.open(temporary, { write: true, createNew: true });
  let done = false;
  try {
    await body(async (bytes) => {
      let written = 0;
      while (written < bytes.byteLength) written += await file.write(bytes.subarray(written));
    });
    file.close();
    done = true;
    await Deno.rename(temporary, target);
  } catch (error) {
    if (!done) file.close();
    await Deno.remove(temporary).catch(() => undefined);
    throw error;
  }
}

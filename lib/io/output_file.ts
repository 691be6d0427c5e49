/**
 * Writes a file as a stream of chunks into a temporary sibling that replaces the target only
 * once complete and flushed to the disk, so that a failed save never leaves a truncated
 * checkpoint behind.
 *
 * @module
 */

import type { WriteChunk } from "./chunks.ts";

export type { WriteChunk };

/**
 * Runs `body` with a writer into a temporary file beside `path`, flushes it to the disk, then
 * renames it to `path`; on error the temporary file is removed and the error rethrown. Errors of
 * the file system (a full disk, a missing folder, no permission) are rethrown naming `path`.
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
  // The file system's own calls, their errors rethrown naming the target (not `body`'s errors).
  const fs = <T>(call: Promise<T>): Promise<T> =>
    call.catch((error) => {
      throw naming(error, target);
    });
  const file = await fs(Deno.open(temporary, { write: true, createNew: true }));
  let done = false;
  try {
    await body(async (bytes) => {
      let written = 0;
      while (written < bytes.byteLength) written += await fs(file.write(bytes.subarray(written)));
    });
    await fs(file.syncData());
    file.close();
    done = true;
    await fs(Deno.rename(temporary, target));
  } catch (error) {
    if (!done) file.close();
    await Deno.remove(temporary).catch(() => undefined);
    throw error;
  }
}

/** A file-system error of the same class, its message naming the file being written. */
function naming(error: unknown, target: string): unknown {
  if (!(error instanceof Error) || error.message.startsWith("Cannot write ")) return error;
  const code = (error as { code?: string }).code;
  const why = code === "ENOSPC" || code === "EDQUOT"
    ? "the disk is full"
    : code === "EROFS"
    ? "the file system is read-only"
    : "the file system refused it";
  const Class = error.constructor as new (message: string, options: ErrorOptions) => Error;
  const out = new Class(`Cannot write ${target} as ${why}: ${error.message}`, { cause: error });
  if (code) Object.assign(out, { code });
  return out;
}

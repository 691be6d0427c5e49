/**
 * Random-access reads from a file or from bytes in memory, with errors that name the file.
 *
 * @module
 */

/** Random-access bytes: a file read by offset, or an array in memory. */
export interface ByteSource extends Disposable {
  /** The file's path (or a label for bytes in memory), used in error messages. */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Reads `length` bytes at `offset` into a fresh buffer; `what` names them in the error thrown
   * when the source ends before them.
   */
  read(offset: number, length: number, what: string): Promise<Uint8Array>;
  /** Releases the file handle, if any. */
  close(): void;
}

function checkRange(source: ByteSource, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(
      `Cannot read ${what} from '${source.name}' as its position is invalid: current value is ${length} bytes at ${offset}`,
    );
  }
  if (offset + length > source.size) {
    throw new SyntaxError(
      `Cannot read ${what} from '${source.name}' as the file is truncated: current value is ${source.size} bytes, ${
        offset + length
      } needed`,
    );
  }
}

/** A {@linkcode ByteSource} over an open file; reads are queued so that seeks never interleave. */
export class FileSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  #file: Deno.FsFile;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(name: string, size: number, file: Deno.FsFile) {
    this.name = name;
    this.size = size;
    this.#file = file;
  }

  /**
   * Opens a file for reading.
   *
   * @example Usage
   * ```ts
   * import { FileSource } from "./byte_source.ts";
   * import { equal } from "node:assert/strict";
   *
   * const path = await Deno.makeTempFile();
   * await Deno.writeFile(path, new Uint8Array([1, 2, 3]));
   * using source = await FileSource.open(path);
   * equal((await source.read(1, 2, "two bytes"))[1], 3);
   * ```
   */
  static async open(path: string | URL): Promise<FileSource> {
    const name = path instanceof URL ? decodeURIComponent(path.pathname) : path;
    const file = await Deno.open(path, { read: true });
    try {
      const { size } = await file.stat();
      return new FileSource(name, size, file);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  read(offset: number, length: number, what: string): Promise<Uint8Array> {
    checkRange(this, offset, length, what);
    const next = this.#queue.then(() => this.#readAt(offset, length, what));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #readAt(offset: number, length: number, what: string): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await this.#file.seek(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < length) {
      const n = await this.#file.read(out.subarray(done));
      if (n === null) {
        throw new SyntaxError(
          `Cannot read ${what} from '${this.name}' as the file is truncated: current value is ${
            offset + done
          } bytes, ${offset + length} needed`,
        );
      }
      done += n;
    }
    return out;
  }

  close(): void {
    this.#file.close();
  }

  /** Closes the file, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** A {@linkcode ByteSource} over bytes in memory. */
export class BytesSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  #bytes: Uint8Array;

  /**
   * Wraps bytes; `name` labels them in error messages.
   *
   * @example Usage
   * ```ts
   * import { BytesSource } from "./byte_source.ts";
   * import { rejects } from "node:assert/strict";
   *
   * const source = new BytesSource(new Uint8Array(4), "four.bin");
   * await rejects(source.read(2, 4, "the header"), SyntaxError);
   * ```
   */
  constructor(bytes: Uint8Array, name: string) {
    this.#bytes = bytes;
    this.name = name;
    this.size = bytes.byteLength;
  }

  read(offset: number, length: number, what: string): Promise<Uint8Array> {
    try {
      checkRange(this, offset, length, what);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(this.#bytes.slice(offset, offset + length));
  }

  close(): void {}

  /** Nothing to release, for `using`. */
  [Symbol.dispose](): void {}
}

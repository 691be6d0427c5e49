/**
 * Reads zip archives through their central directory, one entry at a time: stored entries (what
 * `torch.save` writes) and deflated ones, with zip64 and CRC-32 checks.
 *
 * @module
 */
import type { ByteSource } from "./byte_source.ts";
import { crc32 } from "./crc32.ts";
import { inflateRaw } from "./inflate.ts";

/** One file in a zip archive, as its central directory describes it. */
export interface ZipEntry {
  /** Path inside the archive. */
  readonly name: string;
  /** 0 for stored, 8 for deflated. */
  readonly method: number;
  /** Size of the data as stored in the archive. */
  readonly compressedSize: number;
  /** Size of the data once extracted. */
  readonly size: number;
  /** CRC-32 of the extracted data. */
  readonly crc32: number;
  /** Offset of the entry's local header. */
  readonly headerOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

function u64(view: DataView, at: number): number {
  return Number(view.getBigUint64(at, true));
}

/** A zip archive opened through a {@linkcode ByteSource}. */
export class ZipReader {
  /** Entries by path, in central-directory order. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  #source: ByteSource;
  #dataOffsets = new Map<string, number>();

  private constructor(source: ByteSource, entries: Map<string, ZipEntry>) {
    this.#source = source;
    this.entries = entries;
  }

  /**
   * Reads the central directory of the archive in `source`.
   *
   * @example Usage
   * ```ts
   * import { BytesSource } from "./byte_source.ts";
   * import { ZipReader } from "./zip_reader.ts";
   * import { ZipWriter } from "./zip_writer.ts";
   * import { equal } from "node:assert/strict";
   *
   * const chunks: Uint8Array[] = [];
   * const writer = new ZipWriter((bytes) => chunks.push(bytes.slice()));
   * await writer.add("a/b.txt", new TextEncoder().encode("hi"));
   * await writer.finish();
   * const zip = await ZipReader.open(new BytesSource(new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer()), "x.zip"));
   * equal(new TextDecoder().decode(await zip.read("a/b.txt")), "hi");
   * ```
   */
  static async open(source: ByteSource): Promise<ZipReader> {
    const tailLength = Math.min(source.size, 22 + 65535);
    const tail = await source.read(source.size - tailLength, tailLength, "the zip end record");
    const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    let at = tail.length - 22;
    while (at >= 0 && view.getUint32(at, true) !== EOCD) at--;
    if (at < 0) {
      throw new SyntaxError(
        `Cannot read '${source.name}' as a zip archive as it has no end-of-central-directory record (the file is truncated or not a zip): current value is ${source.size} bytes`,
      );
    }
    let count = view.getUint16(at + 10, true);
    let directorySize = view.getUint32(at + 12, true);
    let directoryOffset = view.getUint32(at + 16, true);
    if (at >= 20 && view.getUint32(at - 20, true) === ZIP64_LOCATOR) {
      const recordOffset = u64(view, at - 20 + 8);
      const record = await source.read(recordOffset, 56, "the zip64 end record");
      const view64 = new DataView(record.buffer);
      if (view64.getUint32(0, true) !== ZIP64_EOCD) {
        throw new SyntaxError(
          `Cannot read '${source.name}' as its zip64 end record is corrupt: current value is signature 0x${
            view64.getUint32(0, true).toString(16)
          }`,
        );
      }
      count = u64(view64, 32);
      directorySize = u64(view64, 40);
      directoryOffset = u64(view64, 48);
    }
    const directory = await source.read(
      directoryOffset,
      directorySize,
      "the zip central directory",
    );
    return new ZipReader(source, parseDirectory(source.name, directory, count));
  }

  /** The entry at `name`, or a `RangeError` naming the archive when there is none. */
  entry(name: string): ZipEntry {
    const entry = this.entries.get(name);
    if (!entry) {
      throw new RangeError(
        `Cannot find '${name}' in zip archive '${this.#source.name}': current value is ${this.entries.size} entries`,
      );
    }
    return entry;
  }

  /**
   * Reads and extracts a whole entry and checks its size and CRC-32; `what` names it in errors
   * (for example the tensor it holds). A deflated entry is inflated only up to its declared size:
   * one that yields more is refused as soon as it does, so memory stays within that size.
   */
  async read(name: string, what = `entry '${name}'`): Promise<Uint8Array> {
    const entry = this.entry(name);
    const offset = await this.#dataOffset(entry, what);
    const stored = await this.#source.read(offset, entry.compressedSize, what);
    let data = stored;
    if (entry.method === 8) {
      const named = `zip entry '${name}' of '${this.#source.name}'${
        what === `entry '${name}'` ? "" : ` (${what})`
      }`;
      data = await inflateRaw(stored, entry.size, named);
    }
    if (data.byteLength !== entry.size) {
      throw new SyntaxError(
        `Cannot read ${what} from '${this.#source.name}' as the zip entry '${name}' is corrupt: current value is ${data.byteLength} bytes, ${entry.size} expected`,
      );
    }
    const crc = crc32(data);
    if (crc !== entry.crc32) {
      throw new SyntaxError(
        `Cannot read ${what} from '${this.#source.name}' as the zip entry '${name}' is corrupt: current value is CRC-32 0x${
          crc.toString(16)
        }, 0x${entry.crc32.toString(16)} expected`,
      );
    }
    return data;
  }

  async #dataOffset(entry: ZipEntry, what: string): Promise<number> {
    const known = this.#dataOffsets.get(entry.name);
    if (known !== undefined) return known;
    const header = await this.#source.read(entry.headerOffset, 30, `the zip header of ${what}`);
    const view = new DataView(header.buffer);
    const nameLength = view.getUint16(26, true);
    const name = await this.#source.read(
      entry.headerOffset + 30,
      nameLength,
      `the zip header of ${what}`,
    );
    const found = new TextDecoder().decode(name);
    if (view.getUint32(0, true) !== LOCAL || found !== entry.name) {
      throw new SyntaxError(
        `Cannot read ${what} from '${this.#source.name}' as the zip entry '${entry.name}' is corrupt: current value is a local header for '${found}' with signature 0x${
          view.getUint32(0, true).toString(16)
        }`,
      );
    }
    const offset = entry.headerOffset + 30 + nameLength + view.getUint16(28, true);
    this.#dataOffsets.set(entry.name, offset);
    return offset;
  }
}

function parseDirectory(file: string, bytes: Uint8Array, count: number): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) {
      throw new SyntaxError(
        `Cannot read '${file}' as its zip central directory is corrupt: current value is entry ${i} of ${count} at byte ${at}`,
      );
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    let size = view.getUint32(at + 24, true);
    let compressedSize = view.getUint32(at + 20, true);
    let headerOffset = view.getUint32(at + 42, true);
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const length = view.getUint16(extra + 2, true);
      if (id === 1) {
        let field = extra + 4;
        if (size === MAX32) [size, field] = [u64(view, field), field + 8];
        if (compressedSize === MAX32) [compressedSize, field] = [u64(view, field), field + 8];
        if (headerOffset === MAX32) headerOffset = u64(view, field);
      }
      extra += 4 + length;
    }
    if (flags & 1) {
      throw new TypeError(
        `Cannot read entry '${name}' of '${file}' as it is encrypted: current value is flags 0x${
          flags.toString(16)
        }`,
      );
    }
    if (method !== 0 && method !== 8) {
      throw new TypeError(
        `Cannot read entry '${name}' of '${file}' as its compression method is unsupported: current value is ${method}`,
      );
    }
    const crc = view.getUint32(at + 16, true);
    entries.set(name, { name, method, compressedSize, size, crc32: crc, headerOffset });
    at = extraEnd + commentLength;
  }
  return entries;
}

/**
 * Writes zip archives of stored (uncompressed) entries as a stream, with each entry's data aligned
 * the way `torch.save` aligns it, and zip64 records where sizes or offsets need them.
 *
 * @module
 */
import { crc32 } from "./crc32.ts";

/** Options of {@linkcode ZipWriter}. */
export interface ZipWriterOptions {
  /** Byte alignment of each entry's data in the file (`torch.save` uses 64). Default 64. */
  align?: number;
  /**
   * Sizes and offsets from this value up are written in zip64 fields. Default 0xffffffff, the
   * zip limit; tests lower it to exercise the zip64 path on small archives.
   */
  zip64Threshold?: number;
}

interface Written {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
}

const MAX32 = 0xffffffff;
const DOS_DATE_1980_01_01 = 0x21;

/** A streaming zip writer: each entry goes to `write` as soon as it is added. */
export class ZipWriter {
  #write: (bytes: Uint8Array) => unknown;
  #align: number;
  #threshold: number;
  #offset = 0;
  #entries: Written[] = [];
  #finished = false;

  /**
   * `write` receives the archive's bytes in order (it may return a promise, which is awaited).
   *
   * @example Usage
   * ```ts
   * import { ZipWriter } from "./zip_writer.ts";
   * import { equal } from "node:assert/strict";
   *
   * const chunks: Uint8Array[] = [];
   * const writer = new ZipWriter((bytes) => chunks.push(bytes.slice()));
   * await writer.add("archive/version", new TextEncoder().encode("3\n"));
   * await writer.finish();
   * equal(new DataView(chunks[0].buffer).getUint32(0, true), 0x04034b50);
   * ```
   */
  constructor(write: (bytes: Uint8Array) => unknown, options: ZipWriterOptions = {}) {
    const { align = 64, zip64Threshold = MAX32 } = options;
    if (!Number.isInteger(align) || align < 1 || align > 4096) {
      throw new RangeError(
        `Cannot write a zip archive as the alignment must be an integer in 1..4096: current value is ${align}`,
      );
    }
    this.#write = write;
    this.#align = align;
    this.#threshold = Math.min(zip64Threshold, MAX32);
  }

  /** Adds one stored entry whose data is `data`. */
  async add(name: string, data: Uint8Array): Promise<void> {
    if (this.#finished) {
      throw new TypeError(
        `Cannot add '${name}' to a zip archive as it is finished: current value is finished`,
      );
    }
    const nameBytes = new TextEncoder().encode(name);
    const size = data.byteLength;
    const big = size >= this.#threshold;
    const zip64Length = big ? 20 : 0;
    let headerLength = 30 + nameBytes.length + zip64Length;
    let padding = 0;
    if ((this.#offset + headerLength) % this.#align !== 0) {
      padding = (this.#align - ((this.#offset + headerLength + 4) % this.#align)) % this.#align;
      headerLength += 4 + padding;
    }
    const header = new Uint8Array(headerLength);
    const view = new DataView(header.buffer);
    const crc = crc32(data);
    view.setUint32(0, 0x04034b50, true);
    view.setUint16(4, big ? 45 : 20, true);
    view.setUint16(6, 0x0800, true);
    view.setUint16(12, DOS_DATE_1980_01_01, true);
    view.setUint32(14, crc, true);
    view.setUint32(18, big ? MAX32 : size, true);
    view.setUint32(22, big ? MAX32 : size, true);
    view.setUint16(26, nameBytes.length, true);
    view.setUint16(28, headerLength - 30 - nameBytes.length, true);
    header.set(nameBytes, 30);
    let at = 30 + nameBytes.length;
    if (big) {
      view.setUint16(at, 1, true);
      view.setUint16(at + 2, 16, true);
      view.setBigUint64(at + 4, BigInt(size), true);
      view.setBigUint64(at + 12, BigInt(size), true);
      at += 20;
    }
    if (at < headerLength) {
      view.setUint16(at, 0x4246, true); // "FB", the padding field torch.save writes
      view.setUint16(at + 2, padding, true);
    }
    this.#entries.push({ name: nameBytes, crc, size, offset: this.#offset });
    await this.#emit(header);
    await this.#emit(data);
  }

  /** Writes the central directory and the end records. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    const start = this.#offset;
    for (const entry of this.#entries) await this.#emit(this.#central(entry));
    const directorySize = this.#offset - start;
    const zip64End = this.#offset;
    const end = new Uint8Array(56 + 20 + 22);
    const view = new DataView(end.buffer);
    const count = this.#entries.length;
    view.setUint32(0, 0x06064b50, true);
    view.setBigUint64(4, 44n, true);
    view.setUint16(12, 45, true);
    view.setUint16(14, 45, true);
    view.setBigUint64(24, BigInt(count), true);
    view.setBigUint64(32, BigInt(count), true);
    view.setBigUint64(40, BigInt(directorySize), true);
    view.setBigUint64(48, BigInt(start), true);
    view.setUint32(56, 0x07064b50, true);
    view.setBigUint64(64, BigInt(zip64End), true);
    view.setUint32(72, 1, true);
    view.setUint32(76, 0x06054b50, true);
    view.setUint16(86, Math.min(count, 0xffff), true);
    view.setUint16(88, Math.min(count, 0xffff), true);
    view.setUint32(90, directorySize >= this.#threshold ? MAX32 : directorySize, true);
    view.setUint32(94, start >= this.#threshold ? MAX32 : start, true);
    await this.#emit(end);
  }

  #central(entry: Written): Uint8Array {
    const bigSize = entry.size >= this.#threshold;
    const bigOffset = entry.offset >= this.#threshold;
    const extraLength = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
    const out = new Uint8Array(46 + entry.name.length + extraLength);
    const view = new DataView(out.buffer);
    view.setUint32(0, 0x02014b50, true);
    view.setUint16(4, 45, true);
    view.setUint16(6, extraLength ? 45 : 20, true);
    view.setUint16(8, 0x0800, true);
    view.setUint16(14, DOS_DATE_1980_01_01, true);
    view.setUint32(16, entry.crc, true);
    view.setUint32(20, bigSize ? MAX32 : entry.size, true);
    view.setUint32(24, bigSize ? MAX32 : entry.size, true);
    view.setUint16(28, entry.name.length, true);
    view.setUint16(30, extraLength, true);
    view.setUint32(42, bigOffset ? MAX32 : entry.offset, true);
    out.set(entry.name, 46);
    let at = 46 + entry.name.length;
    if (extraLength) {
      view.setUint16(at, 1, true);
      view.setUint16(at + 2, extraLength - 4, true);
      at += 4;
      if (bigSize) {
        view.setBigUint64(at, BigInt(entry.size), true);
        view.setBigUint64(at + 8, BigInt(entry.size), true);
        at += 16;
      }
      if (bigOffset) view.setBigUint64(at, BigInt(entry.offset), true);
    }
    return out;
  }

  async #emit(bytes: Uint8Array): Promise<void> {
    await this.#write(bytes);
    this.#offset += bytes.byteLength;
  }
}

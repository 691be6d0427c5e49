/**
 * CRC-32 (IEEE 802.3, the zip checksum), eight bytes at a time.
 *
 * @module
 */

let tables: Uint32Array[] | undefined;

function crcTables(): Uint32Array[] {
  if (tables) return tables;
  tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) {
      const prev = tables[t - 1][n];
      tables[t][n] = (tables[0][prev & 0xff] ^ (prev >>> 8)) >>> 0;
    }
  }
  return tables;
}

/**
 * The CRC-32 of `bytes`, continuing from `crc` (the CRC of the bytes before them, 0 to start).
 *
 * @example Usage
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * import { equal } from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("123456789");
 * equal(crc32(bytes), 0xcbf43926);
 * equal(crc32(bytes.subarray(4), crc32(bytes.subarray(0, 4))), 0xcbf43926);
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crcTables();
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const a = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) ^ c;
    c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
    i += 8;
  }
  while (i < n) c = t0[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

import { equal } from "node:assert/strict";
import { crc32 } from "./crc32.ts";

Deno.test("crc32() matches the standard check values", () => {
  equal(crc32(new Uint8Array()), 0);
  equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  equal(crc32(new TextEncoder().encode("The quick brown fox jumps over the lazy dog")), 0x414fa339);
});

Deno.test("crc32() continues across chunks of any length", () => {
  const bytes = new Uint8Array(1000).map((_, i) => (i * 31 + 7) & 0xff);
  const whole = crc32(bytes);
  for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
    equal(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut))), whole, `cut at ${cut}`);
  }
});

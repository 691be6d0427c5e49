import { deepEqual, throws } from "node:assert/strict";
import { zlibSync } from "fflate";
import { InflateLimitError, inflatePortable, inflateZlib } from "./zlib.ts";

function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = 7;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = i % 5 === 0 ? s >>> 24 : (i >> 6) & 255;
  }
  return out;
}

Deno.test("inflateZlib: the native and the portable inflater give the same bytes", () => {
  for (const n of [0, 1, 70_000, 300_000]) {
    const raw = noise(n);
    const data = zlibSync(raw);
    deepEqual(inflateZlib(data, { limit: n, expected: n }), raw);
    deepEqual(inflatePortable(data, { limit: n, expected: n }), raw);
    // A wrong guess of the size still inflates it all.
    deepEqual(inflatePortable(data, { limit: n + 10, expected: 1 }), raw);
  }
});

Deno.test("inflateZlib: both stop at the limit and refuse damaged data", () => {
  const raw = new Uint8Array(64 << 20); // 64 MiB of zeros: about 64 KiB compressed
  const data = zlibSync(raw);
  for (const inflate of [inflateZlib, inflatePortable]) {
    throws(() => inflate(data, { limit: 1 << 20, expected: 1 << 20 }), InflateLimitError);
    const damaged = zlibSync(noise(10_000));
    for (let i = 10; i < 200; i++) damaged[i] ^= 0x5a;
    throws(() => inflate(damaged, { limit: 10_000, expected: 10_000 }));
  }
});

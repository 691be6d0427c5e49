import { deepEqual, equal, ok } from "node:assert/strict";
import { bfloat16ToFloat32, float16ToFloat32, toFloat32 } from "./to_float32.ts";

Deno.test("float16ToFloat32() widens all 65536 float16 values exactly", () => {
  const bits = new Uint16Array(65536).map((_, i) => i);
  const got = float16ToFloat32(bits);
  const reference = new Float32Array(new Float16Array(bits.buffer));
  const gotBits = new Uint32Array(got.buffer);
  for (let h = 0; h < 65536; h++) {
    const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (isNaN) {
      // NaN keeps its sign and payload, as PyTorch's half-to-float does.
      equal(gotBits[h], ((h & 0x8000) << 16 | 0x7f800000 | (h & 0x3ff) << 13) >>> 0);
    } else {
      ok(Object.is(got[h], reference[h]), `0x${h.toString(16)}: ${got[h]} vs ${reference[h]}`);
    }
  }
});

Deno.test("bfloat16ToFloat32() puts the bits in the top half of a float32", () => {
  const got = bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc020, 0x7f80, 0x0001, 0x8000]));
  deepEqual([...got], [1, -2.5, Infinity, 2 ** -133, -0]);
});

Deno.test("toFloat32() returns float32 data itself and converts the other dtypes", () => {
  const data = new Float32Array([1, 2]);
  equal(toFloat32({ dtype: "float32", shape: [2], data }), data);
  deepEqual(
    toFloat32({ dtype: "float64", shape: [2], data: new Float64Array([0.1, 1e300]) }),
    new Float32Array([0.1, Infinity]),
  );
  deepEqual(
    toFloat32({ dtype: "int64", shape: [2], data: new BigInt64Array([-3n, 2n ** 40n]) }),
    new Float32Array([-3, 2 ** 40]),
  );
  deepEqual(
    toFloat32({ dtype: "bool", shape: [2], data: new Uint8Array([1, 0]) }),
    new Float32Array([1, 0]),
  );
  deepEqual(
    toFloat32({ dtype: "bfloat16", shape: [1], data: new Uint16Array([0x4049]) }),
    new Float32Array([3.140625]),
  );
});

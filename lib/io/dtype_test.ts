import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { allocate, bytesOf, dtypeSize, HOST_DTYPES, isHostDType, viewAs } from "./dtype.ts";

Deno.test("dtypeSize() gives the bytes per element of every dtype", () => {
  const sizes = Object.fromEntries(HOST_DTYPES.map((d) => [d, dtypeSize(d)]));
  deepEqual(sizes, {
    float32: 4,
    float64: 8,
    float16: 2,
    bfloat16: 2,
    int64: 8,
    int32: 4,
    int16: 2,
    int8: 1,
    uint8: 1,
    bool: 1,
  });
});

Deno.test("isHostDType() accepts the supported names only", () => {
  ok(HOST_DTYPES.every(isHostDType));
  ok(!isHostDType("complex64"));
  ok(!isHostDType("toString"));
});

Deno.test("viewAs() views aligned bytes without a copy and copies unaligned ones", () => {
  const buffer = new Uint8Array(12);
  new DataView(buffer.buffer).setFloat64(4, 2.5, true);
  const aligned = viewAs("int32", buffer.subarray(4, 12));
  equal(aligned.buffer, buffer.buffer);
  const unaligned = viewAs("float64", buffer.subarray(4, 12));
  deepEqual(unaligned, new Float64Array([2.5]));
  ok(unaligned.buffer !== buffer.buffer);
  throws(() => viewAs("float32", new Uint8Array(6)), RangeError);
});

Deno.test("allocate() and bytesOf() give the dtype's array and its bytes", () => {
  const a = allocate("bfloat16", 3);
  ok(a instanceof Uint16Array);
  equal(bytesOf(a).byteLength, 6);
  ok(allocate("bool", 2) instanceof Uint8Array);
});

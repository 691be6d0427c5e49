import { deepEqual, equal, ok } from "node:assert/strict";
import { gather, isContiguous, viewSpan } from "./strided.ts";

Deno.test("viewSpan() covers from the first to the last element of a view", () => {
  equal(viewSpan([4, 6], [6, 1]), 24);
  equal(viewSpan([2, 3], [6, 1]), 9);
  equal(viewSpan([4, 3], [6, 2]), 23);
  equal(viewSpan([], []), 1);
  equal(viewSpan([0, 3], [3, 1]), 0);
});

Deno.test("isContiguous() ignores the strides of dimensions of size 1", () => {
  ok(isContiguous([], []));
  ok(isContiguous([1, 4], [99, 1]));
  ok(!isContiguous([4, 3], [6, 2]));
  ok(!isContiguous([4, 3], [0, 1]));
});

Deno.test("gather() copies a permuted view element by element", () => {
  const storage = new Uint16Array(24).map((_, i) => i);
  const got = new Uint16Array(
    gather(new Uint8Array(storage.buffer), { size: 2, shape: [4, 3, 2], stride: [1, 8, 4] }).buffer,
  );
  const expected: number[] = [];
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 3; b++) for (let c = 0; c < 2; c++) expected.push(a + 8 * b + 4 * c);
  }
  deepEqual([...got], expected);
});

Deno.test("gather() keeps the bits of 8-byte elements, NaN payloads included", () => {
  const storage = new BigUint64Array([0x7ff0000000000001n, 1n, 0xfff8dead00000000n, 2n]);
  const got = new BigUint64Array(
    gather(new Uint8Array(storage.buffer), { size: 8, shape: [2], stride: [2] }).buffer,
  );
  deepEqual([...got], [0x7ff0000000000001n, 0xfff8dead00000000n]);
});

Deno.test("gather() repeats elements of an expanded view", () => {
  const got = gather(new Uint8Array([5, 6, 7]), { size: 1, shape: [2, 3], stride: [0, 1] });
  deepEqual([...got], [5, 6, 7, 5, 6, 7]);
});

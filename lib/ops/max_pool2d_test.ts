import assert from "node:assert/strict";
import { checkOp, gpu } from "../../tests/check.ts";
import { Tensor } from "../tensor/tensor.ts";
import { maxPool2d } from "./max_pool2d.ts";

interface Case {
  shape: number[];
  k: [number, number];
  s: [number, number];
  p: [number, number];
}

/** The float64 reference: PyTorch's max_pool2d (aten/src/ATen/native/cpu/MaxPoolKernel.cpp). */
function reference(x: Float64Array, { shape, k, s, p }: Case): Float64Array {
  const [n, c, h, w] = shape;
  const ho = Math.floor((h + 2 * p[0] - k[0]) / s[0]) + 1;
  const wo = Math.floor((w + 2 * p[1] - k[1]) / s[1]) + 1;
  const y = new Float64Array(n * c * ho * wo);
  for (let q = 0; q < n * c; q++) {
    for (let oh = 0; oh < ho; oh++) {
      for (let ow = 0; ow < wo; ow++) {
        const hs = oh * s[0] - p[0];
        const ws = ow * s[1] - p[1];
        let best = -Infinity;
        for (let i = Math.max(hs, 0); i < Math.min(hs + k[0], h); i++) {
          for (let j = Math.max(ws, 0); j < Math.min(ws + k[1], w); j++) {
            const v = x[(q * h + i) * w + j];
            if (v > best || Number.isNaN(v)) best = v;
          }
        }
        y[(q * ho + oh) * wo + ow] = best;
      }
    }
  }
  return y;
}

const cases: Case[] = [
  { shape: [2, 3, 6, 8], k: [2, 2], s: [2, 2], p: [0, 0] }, // VGG19's
  { shape: [1, 2, 7, 5], k: [2, 2], s: [2, 2], p: [0, 0] }, // odd sizes drop the last row
  { shape: [1, 2, 7, 6], k: [3, 3], s: [2, 2], p: [1, 1] }, // overlapping windows
  { shape: [2, 1, 5, 7], k: [3, 2], s: [1, 3], p: [1, 0] },
];

for (const cs of cases) {
  Deno.test(`maxPool2d of [${cs.shape}], kernel [${cs.k}], stride [${cs.s}], padding [${cs.p}]`, () =>
    checkOp({
      inputs: [{ shape: cs.shape }],
      gpu: ([x]) => maxPool2d(x, cs.k, { stride: cs.s, padding: cs.p }),
      ref: ([x]) => reference(x, cs),
    }));
}

Deno.test("maxPool2d sends a tie's gradient to the first maximum, as PyTorch", async () => {
  await gpu();
  // Three 2x2 windows: the first holds 3 three times, the second 5 three times, the last -1.
  const x = Tensor.from([3, 3, 0, 5, -1, -1, 3, 1, 5, 5, -1, -1], [1, 1, 2, 6]);
  x.requiresGrad = true;
  const y = maxPool2d(x, [2, 2], { stride: [2, 2] });
  assert.deepEqual([...await y.data()], [3, 5, -1]);
  y.backward(Tensor.from([10, 20, 30], [1, 1, 1, 3]));
  assert.deepEqual([...await x.grad!.data()], [10, 0, 0, 20, 30, 0, 0, 0, 0, 0, 0, 0]);
  for (const t of [x, y]) t.dispose();
});

Deno.test("maxPool2d's defaults are PyTorch's: stride = kernel, no padding", () =>
  checkOp({
    inputs: [{ shape: [1, 2, 5, 4] }],
    gpu: ([x]) => maxPool2d(x, 2),
    ref: ([x]) => reference(x, { shape: [1, 2, 5, 4], k: [2, 2], s: [2, 2], p: [0, 0] }),
  }));

Deno.test("maxPool2d refuses bad kernels, strides, padding and shapes", async () => {
  await gpu();
  const x = Tensor.from(new Float32Array(2 * 4 * 4), [1, 2, 4, 4]);
  assert.throws(() => maxPool2d(x, 3, { padding: 2 }), {
    name: "RangeError",
    message: "Cannot max-pool as padding must be at most half the kernel size: current value " +
      "is 2 for a kernel of 3",
  });
  assert.throws(() => maxPool2d(x, 0), { name: "RangeError", message: /kernel size/ });
  assert.throws(() => maxPool2d(x, 2, { stride: 0 }), { name: "RangeError", message: /stride/ });
  assert.throws(() => maxPool2d(x, 2, { padding: -1 }), { name: "RangeError" });
  assert.throws(() => maxPool2d(x, 5), { name: "RangeError", message: /output would be empty/ });
  assert.throws(() => maxPool2d(x, [2, 2, 2] as unknown as [number, number]), TypeError);
  const flat = x.reshape([2, 16]);
  assert.throws(() => maxPool2d(flat, 2), { name: "TypeError", message: /4D/ });
  const ids = Tensor.from(new Int32Array(16), [1, 1, 4, 4]);
  assert.throws(() => maxPool2d(ids, 2), { name: "TypeError", message: /float32/ });
  for (const t of [x, flat, ids]) t.dispose();
});

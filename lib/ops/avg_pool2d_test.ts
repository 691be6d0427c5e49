import assert from "node:assert/strict";
import { checkOp, gpu } from "../../tests/check.ts";
import { Tensor } from "../tensor/tensor.ts";
import { avgPool2d, type AvgPool2dOptions } from "./avg_pool2d.ts";

interface Case {
  shape: number[];
  k: [number, number];
  s: [number, number];
  p: [number, number];
  include: boolean;
  ceil: boolean;
}

/** The float64 reference: PyTorch's avg_pool2d (aten/src/ATen/native/cpu/AvgPoolKernel.cpp). */
function reference(x: Float64Array, { shape, k, s, p, include, ceil }: Case): Float64Array {
  const [n, c, h, w] = shape;
  const size = (len: number, d: 0 | 1) => {
    let out = Math.floor((len + 2 * p[d] - k[d] + (ceil ? s[d] - 1 : 0)) / s[d]) + 1;
    if (ceil && (out - 1) * s[d] >= len + p[d]) out--;
    return out;
  };
  const ho = size(h, 0);
  const wo = size(w, 1);
  const y = new Float64Array(n * c * ho * wo);
  for (let q = 0; q < n * c; q++) {
    for (let oh = 0; oh < ho; oh++) {
      for (let ow = 0; ow < wo; ow++) {
        let hs = oh * s[0] - p[0];
        let ws = ow * s[1] - p[1];
        let he = Math.min(hs + k[0], h + p[0]);
        let we = Math.min(ws + k[1], w + p[1]);
        const pool = (he - hs) * (we - ws);
        hs = Math.max(hs, 0), ws = Math.max(ws, 0), he = Math.min(he, h), we = Math.min(we, w);
        let sum = 0;
        for (let i = hs; i < he; i++) for (let j = ws; j < we; j++) sum += x[(q * h + i) * w + j];
        y[(q * ho + oh) * wo + ow] = sum / (include ? pool : (he - hs) * (we - ws));
      }
    }
  }
  return y;
}

const pix2pixhd = {
  k: [3, 3] as [number, number],
  s: [2, 2] as [number, number],
  p: [1, 1] as [number, number],
  include: false,
  ceil: false,
};
const cases: Case[] = [
  { shape: [2, 3, 6, 8], ...pix2pixhd },
  { shape: [1, 2, 7, 5], ...pix2pixhd }, // odd sizes
  { shape: [2, 1, 5, 7], k: [3, 3], s: [2, 2], p: [1, 1], include: true, ceil: false },
  { shape: [1, 2, 6, 6], k: [2, 2], s: [2, 2], p: [0, 0], include: true, ceil: false },
  { shape: [1, 2, 5, 7], k: [3, 2], s: [1, 3], p: [1, 0], include: false, ceil: true },
  { shape: [2, 1, 6, 5], k: [2, 3], s: [3, 2], p: [1, 1], include: true, ceil: true },
  // ceil mode's last window would start in the padding, so PyTorch drops it: 4x3, not 4x4
  { shape: [1, 1, 7, 5], k: [2, 2], s: [2, 2], p: [1, 1], include: true, ceil: true },
];

for (const cs of cases) {
  const options: AvgPool2dOptions = {
    stride: cs.s,
    padding: cs.p,
    countIncludePad: cs.include,
    ceilMode: cs.ceil,
  };
  Deno.test(`avgPool2d of [${cs.shape}] with ${JSON.stringify(options)} kernel [${cs.k}]`, () =>
    checkOp({
      inputs: [{ shape: cs.shape }],
      gpu: ([x]) => avgPool2d(x, cs.k, options),
      ref: ([x]) => reference(x, cs),
    }));
}

Deno.test("avgPool2d's defaults are PyTorch's: stride = kernel, no padding", () =>
  checkOp({
    inputs: [{ shape: [1, 2, 5, 4] }],
    gpu: ([x]) => avgPool2d(x, 2),
    ref: ([x]) =>
      reference(x, {
        shape: [1, 2, 5, 4],
        k: [2, 2],
        s: [2, 2],
        p: [0, 0],
        include: true,
        ceil: false,
      }),
  }));

Deno.test("avgPool2d refuses bad kernels, strides, padding and shapes", async () => {
  await gpu();
  const x = Tensor.from(new Float32Array(2 * 4 * 4), [1, 2, 4, 4]);
  assert.throws(() => avgPool2d(x, 3, { padding: 2 }), {
    name: "RangeError",
    message: "Cannot pool as padding must be at most half the kernel size: current value is 2 " +
      "for a kernel of 3",
  });
  assert.throws(() => avgPool2d(x, 0), { name: "RangeError", message: /kernel size/ });
  assert.throws(() => avgPool2d(x, 2, { stride: 0 }), { name: "RangeError", message: /stride/ });
  assert.throws(() => avgPool2d(x, 2, { padding: -1 }), { name: "RangeError" });
  assert.throws(() => avgPool2d(x, 5), { name: "RangeError", message: /output would be empty/ });
  assert.throws(() => avgPool2d(x, [2, 2, 2] as unknown as [number, number]), TypeError);
  const flat = x.reshape([2, 16]);
  assert.throws(() => avgPool2d(flat, 2), { name: "TypeError", message: /4D/ });
  for (const t of [x, flat]) t.dispose();
});

import assert from "node:assert/strict";
import { checkOp, gpu } from "../../tests/check.ts";
import { backward } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import { type Padding2d, reflectionPad2d } from "./reflection_pad2d.ts";

/** The float64 reference: PyTorch's ReflectionPad2d. */
function reference(x: Float64Array, shape: number[], [l, r, t, b]: Padding2d): Float64Array {
  const [n, c, h, w] = shape;
  const ho = h + t + b;
  const wo = w + l + r;
  const mirror = (k: number, size: number) => (k < 0 ? -k : k >= size ? 2 * (size - 1) - k : k);
  const y = new Float64Array(n * c * ho * wo);
  for (let q = 0; q < n * c; q++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        y[(q * ho + i) * wo + j] = x[(q * h + mirror(i - t, h)) * w + mirror(j - l, w)];
      }
    }
  }
  return y;
}

const cases: [number[], Padding2d][] = [
  [[2, 3, 5, 7], [1, 1, 1, 1]],
  [[1, 2, 4, 5], [3, 3, 3, 3]], // as large as allowed: inner rows are read 3 times
  [[2, 1, 3, 6], [2, 0, 1, 2]], // asymmetric, some sides unpadded
  [[1, 2, 1, 4], [3, 1, 0, 0]], // a single row
  [[2, 2, 7, 2], [1, 0, 6, 5]], // padding reaching the far edge
];

for (const [shape, pad] of cases) {
  Deno.test(`reflectionPad2d of [${shape}] by (${pad}) matches the reference and its gradient`, () =>
    checkOp({
      inputs: [{ shape }],
      gpu: ([x]) => reflectionPad2d(x, pad),
      ref: ([x]) => reference(x, shape, pad),
    }));
}

Deno.test("reflectionPad2d with one number pads all four sides", () =>
  checkOp({
    inputs: [{ shape: [1, 2, 3, 4] }],
    gpu: ([x]) => reflectionPad2d(x, 2),
    ref: ([x]) => reference(x, [1, 2, 3, 4], [2, 2, 2, 2]),
  }));

Deno.test("reflectionPad2d refuses padding as large as the input, bad values and shapes", async () => {
  await gpu();
  const x = Tensor.from(new Float32Array(2 * 3 * 4), [1, 2, 3, 4]);
  assert.throws(() => reflectionPad2d(x, 3), {
    name: "RangeError",
    message:
      "Cannot pad as padding must be smaller than the input: current value is 3 for an input of 3",
  });
  assert.throws(() => reflectionPad2d(x, [4, 0, 0, 0]), {
    name: "RangeError",
    message: /current value is 4 for an input of 4/,
  });
  assert.throws(() => reflectionPad2d(x, [0, 0, 0, 3]), { name: "RangeError" });
  assert.throws(() => reflectionPad2d(x, -1), { name: "RangeError", message: /non-negative/ });
  assert.throws(() => reflectionPad2d(x, 1.5), { name: "RangeError" });
  assert.throws(() => reflectionPad2d(x, [1, 1] as unknown as Padding2d), { name: "TypeError" });
  const flat = x.reshape([6, 4]);
  assert.throws(() => reflectionPad2d(flat, 1), { name: "TypeError", message: /4D/ });
  const ints = Tensor.from(new Int32Array(24), [1, 2, 3, 4]);
  assert.throws(() => reflectionPad2d(ints, 1), { name: "TypeError", message: /float32/ });
  for (const t of [x, flat, ints]) t.dispose();
});

Deno.test("reflectionPad2d runs on a 2D grid past 65535 workgroups of 256", async () => {
  const rt = await gpu();
  const [h, w] = [4096, 4097]; // 16.8 M elements
  assert.ok(h * w > rt.gpu.limits.maxComputeWorkgroupsPerDimension * 256);
  const x = Tensor.from(new Float32Array(h * w).map((_, i) => i % 1024), [1, 1, h, w]);
  x.requiresGrad = true;
  const y = reflectionPad2d(x, 1);
  const values = await y.data();
  const wo = w + 2;
  const at = (i: number, j: number) => values[i * wo + j];
  // The last row and column of y mirror the input's second-to-last row and column.
  assert.equal(at(h + 1, w + 1), ((h - 2) * w + w - 2) % 1024);
  assert.equal(at(h, 5), ((h - 1) * w + 4) % 1024);
  const dy = Tensor.from(new Float32Array(y.size).fill(1), y.shape);
  backward(y, dy);
  const dx = await x.grad!.data();
  // Each input element gets one gradient per copy of it in y: 1 at a corner, 4 next to it.
  assert.deepEqual([dx[0], dx[w + 1], dx[h * w - 1], dx[(h - 2) * w + w - 2]], [1, 4, 1, 4]);
  assert.equal(dx[(h >> 1) * w + 7], 1);
  x.dispose(), y.dispose(), dy.dispose();
});

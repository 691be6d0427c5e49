import assert from "node:assert/strict";
import { checkOp, gpu } from "../../tests/check.ts";
import { backward } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import { concat, slice } from "./concat.ts";

/** The float64 reference of torch.cat(xs, 1), for tensors (N, C_i, R...). */
function catRef(xs: Float64Array[], n: number, channels: number[], r: number): Float64Array {
  const total = channels.reduce((a, b) => a + b, 0);
  const y = new Float64Array(n * total * r);
  let at = 0;
  xs.forEach((x, k) => {
    for (let b = 0; b < n; b++) {
      for (let c = 0; c < channels[k]; c++) {
        for (let i = 0; i < r; i++) {
          y[(b * total + at + c) * r + i] = x[(b * channels[k] + c) * r + i];
        }
      }
    }
    at += channels[k];
  });
  return y;
}

/** The float64 reference of x[:, start:end]. */
function sliceRef(x: Float64Array, n: number, c: number, r: number, start: number, end: number) {
  const y = new Float64Array(n * (end - start) * r);
  for (let b = 0; b < n; b++) {
    for (let k = start; k < end; k++) {
      for (let i = 0; i < r; i++) {
        y[(b * (end - start) + k - start) * r + i] = x[(b * c + k) * r + i];
      }
    }
  }
  return y;
}

Deno.test("concat of three 4D tensors matches torch.cat and passes each its gradient", () =>
  checkOp({
    inputs: [{ shape: [2, 3, 5, 3] }, { shape: [2, 1, 5, 3] }, { shape: [2, 4, 5, 3] }],
    gpu: (xs) => concat(xs),
    ref: (xs) => catRef(xs, 2, [3, 1, 4], 15),
  }));

Deno.test("concat of 2D tensors, one without a gradient", () =>
  checkOp({
    inputs: [{ shape: [3, 2] }, { shape: [3, 5], grad: false }, { shape: [3, 1] }],
    gpu: (xs) => concat(xs),
    ref: (xs) => catRef(xs, 3, [2, 5, 1], 1),
  }));

Deno.test("concat of one tensor is a copy", () =>
  checkOp({
    inputs: [{ shape: [1, 3, 2, 7] }],
    gpu: (xs) => concat(xs),
    ref: ([x]) => x.slice(),
  }));

Deno.test("concat of the same tensor twice accumulates both gradients", () =>
  checkOp({
    inputs: [{ shape: [2, 2, 3, 1] }],
    gpu: ([x]) => concat([x, x]),
    ref: ([x]) => catRef([x, x], 2, [2, 2], 3),
  }));

for (const [start, end] of [[0, 2], [1, 4], [3, 5], [2, 3]]) {
  Deno.test(`slice of channels ${start}..${end} matches x[:, ${start}:${end}] and its gradient`, () =>
    checkOp({
      inputs: [{ shape: [2, 5, 3, 3] }],
      gpu: ([x]) => slice(x, start, end),
      ref: ([x]) => sliceRef(x, 2, 5, 9, start, end),
    }));
}

Deno.test("slicing a concat back gives the parts and their gradients", async () => {
  await gpu();
  const a = Tensor.from([1, 2, 3, 4], [1, 2, 2, 1]);
  const b = Tensor.from([5, 6], [1, 1, 2, 1]);
  a.requiresGrad = b.requiresGrad = true;
  const y = concat([a, b]);
  const bb = slice(y, 2, 3);
  assert.deepEqual([...await bb.data()], [5, 6]);
  const dy = Tensor.from([10, 20], [1, 1, 2, 1]);
  backward(bb, dy);
  assert.deepEqual([...await a.grad!.data()], [0, 0, 0, 0]);
  assert.deepEqual([...await b.grad!.data()], [10, 20]);
  for (const t of [a, b, y, bb, dy]) t.dispose();
});

Deno.test("concat and slice refuse mismatched shapes, empty lists and bad ranges", async () => {
  await gpu();
  const a = Tensor.from(new Float32Array(12), [1, 2, 3, 2]);
  const b = Tensor.from(new Float32Array(12), [1, 3, 2, 2]);
  const flat = Tensor.from(new Float32Array(4), [4]);
  const ints = Tensor.from(new Int32Array(12), [1, 2, 3, 2]);
  assert.throws(() => concat([a, b]), {
    name: "TypeError",
    message: /differ outside dimension 1: current shapes are \[1,2,3,2\] and \[1,3,2,2\]/,
  });
  const a3 = a.reshape([1, 2, 6]);
  assert.throws(() => concat([a, a3]), { name: "TypeError" });
  assert.throws(() => concat([]), { name: "RangeError" });
  assert.throws(() => concat([flat]), { name: "TypeError", message: /channel dimension/ });
  assert.throws(() => concat([a, ints]), { name: "TypeError", message: /float32/ });
  assert.throws(() => slice(a, 0, 3), {
    name: "RangeError",
    message: "Cannot slice as end must be an integer in 0..2: current value is 3",
  });
  assert.throws(() => slice(a, 2, 1), { name: "RangeError" });
  assert.throws(() => slice(a, -1, 1), { name: "RangeError", message: /start/ });
  assert.throws(() => slice(a, 0.5, 1), { name: "RangeError" });
  assert.throws(() => slice(flat, 0, 1), { name: "TypeError" });
  for (const t of [a, a3, b, flat, ints]) t.dispose();
});

import assert from "node:assert/strict";
import { checkOp, gpu, randn } from "../../tests/check.ts";
import { noGrad } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import { instanceNorm2d } from "./instance_norm2d.ts";

/** The float64 reference: two-pass mean and biased variance per (n, c) plane. */
function reference(x: Float64Array, shape: number[], eps = 1e-5): Float64Array {
  const size = shape[2] * shape[3];
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += size) {
    let mean = 0;
    for (let i = 0; i < size; i++) mean += x[base + i];
    mean /= size;
    let v = 0;
    for (let i = 0; i < size; i++) v += (x[base + i] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / size + eps);
    for (let i = 0; i < size; i++) y[base + i] = (x[base + i] - mean) * rstd;
  }
  return y;
}

for (const shape of [[2, 3, 5, 7], [1, 2, 9, 11], [2, 1, 1, 3]]) {
  Deno.test(`instanceNorm2d of [${shape}] matches the reference and its gradient`, () =>
    checkOp({
      inputs: [{ shape }],
      gpu: ([x]) => instanceNorm2d(x),
      ref: ([x]) => reference(x, shape),
    }));
}

Deno.test("instanceNorm2d of planes of several chunks (4096 elements each)", () =>
  checkOp({
    inputs: [{ shape: [1, 2, 71, 83] }], // 5893 elements: a full chunk and a partial one
    gpu: ([x]) => instanceNorm2d(x),
    ref: ([x]) => reference(x, [1, 2, 71, 83]),
  }));

Deno.test("instanceNorm2d stays exact for 1000 + noise (E[x^2] - E[x]^2 would not)", () => {
  const shape = [2, 3, 6, 5];
  const noise = randn(180, 7);
  return checkOp({
    inputs: [{ shape, data: noise.map((v) => Math.fround(1000 + v)) }],
    gpu: ([x]) => instanceNorm2d(x),
    ref: ([x]) => reference(x, shape),
    h: 1e-4,
  });
});

Deno.test("instanceNorm2d stays exact when a plane starts with an outlier", () => {
  const shape = [1, 1, 64, 80];
  const data = randn(64 * 80, 9).map((v) => Math.fround(50 + v));
  data[0] = 3e4;
  return checkOp({
    inputs: [{ shape, data, grad: false }],
    gpu: ([x]) => instanceNorm2d(x),
    ref: ([x]) => reference(x, shape),
  });
});

Deno.test("instanceNorm2d with another eps", () =>
  checkOp({
    inputs: [{ shape: [1, 2, 2, 2], data: randn(8, 3, 1e-2) }],
    gpu: ([x]) => instanceNorm2d(x, { eps: 1e-3 }),
    ref: ([x]) => reference(x, [1, 2, 2, 2], 1e-3),
  }));

Deno.test("instanceNorm2d under noGrad keeps nothing but its output", async () => {
  const rt = await gpu();
  const x = Tensor.from(new Float32Array(randn(2 * 3 * 16, 5)), [2, 3, 4, 4]);
  x.requiresGrad = true;
  const before = rt.pool.stats().inUse;
  const y = noGrad(() => instanceNorm2d(x));
  assert.equal(y.node, null);
  y.dispose();
  assert.equal(rt.pool.stats().inUse, before);
  x.dispose();
});

Deno.test("instanceNorm2d refuses single-element planes, bad eps and shapes", async () => {
  await gpu();
  const x = Tensor.from(new Float32Array(6), [2, 3, 1, 1]);
  assert.throws(() => instanceNorm2d(x), {
    name: "TypeError",
    message: "Cannot normalize as each plane must have more than 1 element: " +
      "current shape is [2,3,1,1]",
  });
  const x3 = x.reshape([2, 3, 1]);
  assert.throws(() => instanceNorm2d(x3), { name: "TypeError", message: /4D/ });
  const ok = Tensor.from(new Float32Array(8), [1, 2, 2, 2]);
  assert.throws(() => instanceNorm2d(ok, { eps: 0 }), { name: "RangeError", message: /eps/ });
  assert.throws(() => instanceNorm2d(ok, { eps: NaN }), RangeError);
  const ints = Tensor.from(new Int32Array(8), [1, 2, 2, 2]);
  assert.throws(() => instanceNorm2d(ints), { name: "TypeError", message: /float32/ });
  for (const t of [x, x3, ok, ints]) t.dispose();
});

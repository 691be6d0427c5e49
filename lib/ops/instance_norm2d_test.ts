import assert from "node:assert/strict";
import { assertClose, checkOp, gpu, randn } from "../../tests/check.ts";
import { backward, noGrad } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import { leakyRelu, relu } from "./elementwise.ts";
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

Deno.test("instanceNorm2d of a plane of 5893 elements and its gradient", () =>
  checkOp({
    inputs: [{ shape: [1, 1, 71, 83] }],
    gpu: ([x]) => instanceNorm2d(x),
    ref: ([x]) => reference(x, [1, 1, 71, 83]),
  }));

// Planes this large split into several chunks, each reduced by its own workgroup (the last one
// partial), on GPUs and CPU adapters alike. Central differences would take too long here: the
// gradient is checked against PyTorch's formula in float64, which the tests above check.
for (const shape of [[2, 1, 130, 131], [1, 1, 300, 301]]) {
  Deno.test(`instanceNorm2d of [${shape}], planes of several chunks`, async () => {
    await gpu();
    const size = shape[2] * shape[3];
    const x64 = randn(shape[0] * size, 11).map((v) => Math.fround(3 + 2 * v));
    const dy64 = randn(x64.length, 12);
    const x = Tensor.from(Float32Array.from(x64), shape);
    const dy = Tensor.from(Float32Array.from(dy64), shape);
    x.requiresGrad = true;
    const y = instanceNorm2d(x);
    const want = reference(x64, shape);
    assertClose(await y.data(), want, "forward");
    backward(y, dy);
    const dx = new Float64Array(x64.length);
    for (let base = 0; base < x64.length; base += size) {
      let mean = 0, v = 0, g = 0, gy = 0;
      for (let i = base; i < base + size; i++) mean += x64[i] / size;
      for (let i = base; i < base + size; i++) v += (x64[i] - mean) ** 2 / size;
      for (let i = base; i < base + size; i++) g += dy64[i] / size, gy += dy64[i] * want[i] / size;
      const rstd = 1 / Math.sqrt(v + 1e-5);
      for (let i = base; i < base + size; i++) dx[i] = rstd * (dy64[i] - g - want[i] * gy);
    }
    assertClose(await x.grad!.data(), dx, "gradient", { atol: 1e-5, rtol: 1e-3 });
    for (const t of [x, dy, y]) t.dispose();
  });
}

// Ten planes and more: one workgroup a whole plane on CPU adapters (one dispatch a pass); 300
// small planes: also on GPUs.
for (const shape of [[2, 5, 9, 11], [1, 12, 40, 41], [1, 300, 3, 5]]) {
  Deno.test(`instanceNorm2d of [${shape}], one workgroup a plane, matches the reference and its gradient`, () =>
    checkOp({
      inputs: [{ shape }],
      gpu: ([x]) => instanceNorm2d(x),
      ref: ([x]) => reference(x, shape),
    }));
}

const ACTIVATIONS = [
  { name: "ReLU", act: "relu" as const, ref: (v: number) => Math.max(v, 0) },
  { name: "LeakyReLU(0.2)", act: 0.2, ref: (v: number) => (v > 0 ? v : 0.2 * v) },
  { name: "LeakyReLU(0)", act: 0, ref: (v: number) => (v > 0 ? v : 0 * v) },
];

for (const { name, act, ref } of ACTIVATIONS) {
  for (const shape of [[2, 3, 5, 7], [1, 2, 9, 11], [2, 5, 9, 11]]) {
    Deno.test(`instanceNorm2d with ${name} fused, [${shape}], matches the reference and its gradient`, () =>
      checkOp({
        inputs: [{ shape }],
        gpu: ([x]) => instanceNorm2d(x, { activation: act }),
        ref: ([x]) => reference(x, shape).map(ref),
      }));
  }
}

// [1, 2, 130, 131]: 2 planes of several chunks each; [2, 8, 71, 83]: 16 planes, one workgroup
// each on CPU adapters.
for (const { name, act } of ACTIVATIONS) {
  for (const shape of [[1, 2, 130, 131], [2, 8, 71, 83]]) {
    Deno.test(`instanceNorm2d with ${name} fused, [${shape}], gives the activation of instanceNorm2d bit for bit, in fewer dispatches`, async () => {
      const rt = await gpu();
      const x64 = randn(shape.reduce((a, b) => a * b), 21);
      const dy = Tensor.from(Float32Array.from(randn(x64.length, 22)), shape);
      const run = async (fused: boolean) => {
        const x = Tensor.from(Float32Array.from(x64), shape);
        x.requiresGrad = true;
        const before = rt.dispatches;
        const y = fused
          ? instanceNorm2d(x, { activation: act })
          : act === "relu"
          ? relu(instanceNorm2d(x))
          : leakyRelu(instanceNorm2d(x), act);
        backward(y, dy);
        const dispatches = rt.dispatches - before;
        const out = { y: await y.data(), dx: await x.grad!.data(), dispatches };
        x.dispose(), y.dispose();
        return out;
      };
      const fused = await run(true);
      const plain = await run(false);
      assert.deepEqual(fused.y, plain.y);
      assert.deepEqual(fused.dx, plain.dx);
      assert.equal(fused.dispatches, plain.dispatches - 2);
      // One dispatch a pass where a workgroup has a whole plane (CPU adapters: 8 planes or more).
      if (rt.gpu.isFallback) assert.equal(fused.dispatches, shape[0] * shape[1] >= 8 ? 2 : 4);
      assert.ok(fused.y.some((v) => v === 0 || v < 0));
      dy.dispose();
    });
  }
}

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
  for (const activation of [Infinity, "gelu" as "relu"]) {
    assert.throws(() => instanceNorm2d(ok, { activation }), {
      name: "RangeError",
      message: "Cannot normalize with an activation as it must be 'relu' or a LeakyReLU's " +
        `negative slope, a finite number: current value is ${activation}`,
    });
  }
  const ints = Tensor.from(new Int32Array(8), [1, 2, 2, 2]);
  assert.throws(() => instanceNorm2d(ints), { name: "TypeError", message: /float32/ });
  for (const t of [x, x3, ok, ints]) t.dispose();
});

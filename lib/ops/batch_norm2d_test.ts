import assert from "node:assert/strict";
import { assertClose, checkOp, gpu, randn } from "../../tests/check.ts";
import { backward } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import { batchNorm2d } from "./batch_norm2d.ts";

/** Per-channel float64 mean and biased variance of x (N, C, S). */
function moments(x: Float64Array, [n, c, h, w]: number[]): [Float64Array, Float64Array] {
  const s = h * w;
  const mean = new Float64Array(c);
  const v = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    for (let b = 0; b < n; b++) for (let i = 0; i < s; i++) mean[k] += x[(b * c + k) * s + i];
    mean[k] /= n * s;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < s; i++) v[k] += (x[(b * c + k) * s + i] - mean[k]) ** 2;
    }
    v[k] /= n * s;
  }
  return [mean, v];
}

/** The float64 reference of PyTorch's batch_norm with the given mean and variance. */
function normalize(
  x: Float64Array,
  shape: number[],
  [mean, v]: [Float64Array, Float64Array],
  weight: Float64Array,
  bias: Float64Array,
  eps = 1e-5,
): Float64Array {
  const [, c, h, w] = shape;
  return x.map((value, i) => {
    const k = Math.floor(i / (h * w)) % c;
    return (value - mean[k]) / Math.sqrt(v[k] + eps) * weight[k] + bias[k];
  });
}

const positive = (n: number, seed: number) => randn(n, seed).map((v) => Math.fround(0.5 + v * v));

for (const shape of [[2, 3, 4, 5], [3, 2, 3, 3], [1, 4, 5, 1]]) {
  Deno.test(`batchNorm2d in training mode of [${shape}] matches the reference and its gradients`, () =>
    checkOp({
      inputs: [{ shape }, { shape: [shape[1]] }, { shape: [shape[1]] }],
      gpu: ([x, weight, bias]) => batchNorm2d(x, { weight, bias, training: true }),
      ref: ([x, weight, bias]) => normalize(x, shape, moments(x, shape), weight, bias),
    }));
}

Deno.test("batchNorm2d in eval mode uses the running statistics, and its gradients", async () => {
  const shape = [2, 3, 3, 5];
  await gpu();
  const runningMean = Tensor.from([0.5, -1, 2], [3]);
  const v = positive(3, 4);
  const runningVar = Tensor.from(Float32Array.from(v), [3]);
  const stats: [Float64Array, Float64Array] = [new Float64Array([0.5, -1, 2]), v];
  await checkOp({
    inputs: [{ shape }, { shape: [3] }, { shape: [3] }],
    gpu: ([x, weight, bias]) =>
      batchNorm2d(x, { weight, bias, runningMean, runningVar, training: false }),
    ref: ([x, weight, bias]) => normalize(x, shape, stats, weight, bias),
  });
  assert.deepEqual([...await runningMean.data()], [0.5, -1, 2], "eval leaves them alone");
  assert.deepEqual([...await runningVar.data()], [...Float32Array.from(v)]);
  runningMean.dispose(), runningVar.dispose();
});

Deno.test("batchNorm2d updates the running statistics as PyTorch (momentum, unbiased var)", async () => {
  await gpu();
  const shape = [2, 3, 4, 3];
  const count = 2 * 4 * 3;
  let mean64 = new Float64Array(3);
  let var64 = new Float64Array(3).fill(1);
  const runningMean = Tensor.from(mean64, [3]);
  const runningVar = Tensor.from(var64, [3]);
  const weight = Tensor.from([1, 2, 3], [3]);
  const bias = Tensor.from([0, 0, 1], [3]);
  for (const [seed, momentum] of [[1, 0.1], [2, 0.1], [3, 0.5]]) {
    const x64 = randn(72, seed).map((v) => Math.fround(v * 2 + seed));
    const x = Tensor.from(Float32Array.from(x64), shape);
    batchNorm2d(x, { weight, bias, runningMean, runningVar, training: true, momentum }).dispose();
    const [m, v] = moments(x64, shape);
    mean64 = mean64.map((r, k) => (1 - momentum) * r + momentum * m[k]);
    var64 = var64.map((r, k) => (1 - momentum) * r + momentum * v[k] * count / (count - 1));
    x.dispose();
  }
  assertClose(await runningMean.data(), mean64, "running mean");
  assertClose(await runningVar.data(), var64, "running var");
  for (const t of [runningMean, runningVar, weight, bias]) t.dispose();
});

Deno.test("batchNorm2d stays exact for 1000 + noise", () => {
  const shape = [2, 2, 3, 4];
  return checkOp({
    inputs: [
      { shape, data: randn(48, 5).map((v) => Math.fround(1000 + v)) },
      { shape: [2] },
      { shape: [2] },
    ],
    gpu: ([x, weight, bias]) => batchNorm2d(x, { weight, bias, training: true }),
    ref: ([x, weight, bias]) => normalize(x, shape, moments(x, shape), weight, bias),
    h: 1e-4,
  });
});

// Planes this large split into several chunks (several workgroups each) on GPUs and CPU
// adapters alike. Central differences would take too long here: the gradients are checked
// against PyTorch's formulas in float64, which the tests above check.
Deno.test("batchNorm2d of planes of several chunks, in training mode", async () => {
  await gpu();
  const shape = [2, 2, 130, 131];
  const [n, c, h, w] = shape;
  const s = h * w;
  const x64 = randn(n * c * s, 21).map((v) => Math.fround(3 + 2 * v));
  const dy64 = randn(x64.length, 22);
  const w64 = new Float64Array([1.5, -0.5]);
  const b64 = new Float64Array([0.25, 2]);
  const x = Tensor.from(Float32Array.from(x64), shape);
  const dy = Tensor.from(Float32Array.from(dy64), shape);
  const weight = Tensor.from(w64, [2]);
  const bias = Tensor.from(b64, [2]);
  const runningMean = Tensor.from([0, 0], [2]);
  const runningVar = Tensor.from([1, 1], [2]);
  for (const t of [x, weight, bias]) t.requiresGrad = true;
  const y = batchNorm2d(x, { weight, bias, runningMean, runningVar, training: true });
  const [mean, v] = moments(x64, shape);
  assertClose(await y.data(), normalize(x64, shape, [mean, v], w64, b64), "forward");
  const m = n * s;
  assertClose(await runningMean.data(), mean.map((a) => 0.1 * a), "running mean");
  assertClose(await runningVar.data(), v.map((a) => 0.9 + 0.1 * a * m / (m - 1)), "running var");
  backward(y, dy);
  const dw = new Float64Array(c);
  const db = new Float64Array(c);
  const xhat = x64.map((a, i) => {
    const k = Math.floor(i / s) % c;
    return (a - mean[k]) / Math.sqrt(v[k] + 1e-5);
  });
  dy64.forEach((g, i) => {
    const k = Math.floor(i / s) % c;
    db[k] += g, dw[k] += g * xhat[i];
  });
  const dx = dy64.map((g, i) => {
    const k = Math.floor(i / s) % c;
    return w64[k] / Math.sqrt(v[k] + 1e-5) * (g - db[k] / m - xhat[i] * dw[k] / m);
  });
  assertClose(await x.grad!.data(), dx, "dx", { atol: 1e-5, rtol: 1e-3 });
  assertClose(await weight.grad!.data(), dw, "dweight", { atol: 1e-3, rtol: 1e-4 });
  assertClose(await bias.grad!.data(), db, "dbias", { atol: 1e-3, rtol: 1e-4 });
  for (const t of [x, dy, weight, bias, runningMean, runningVar, y]) t.dispose();
});

Deno.test("batchNorm2d refuses bad shapes, missing statistics and bad numbers", async () => {
  await gpu();
  const x = Tensor.from(new Float32Array(12), [2, 3, 2, 1]);
  const weight = Tensor.from([1, 1, 1], [3]);
  const bias = Tensor.from([0, 0, 0], [3]);
  const four = Tensor.from([1, 1, 1, 1], [4]);
  const one = Tensor.from(new Float32Array(3), [1, 3, 1, 1]);
  const x3 = x.reshape([2, 3, 2]);
  assert.throws(() => batchNorm2d(x, { weight: four, bias, training: true }), {
    name: "TypeError",
    message: "Cannot use the weight as its shape must be [3]: current value is [4]",
  });
  assert.throws(() => batchNorm2d(x, { weight, bias: four, training: true }), TypeError);
  assert.throws(() => batchNorm2d(x, { weight, bias, training: false }), {
    name: "TypeError",
    message: /eval mode without the running statistics/,
  });
  assert.throws(
    () => batchNorm2d(x, { weight, bias, training: true, runningMean: bias }),
    { name: "TypeError", message: /only one running statistic/ },
  );
  assert.throws(
    () => batchNorm2d(x, { weight, bias, training: true, runningMean: bias, runningVar: four }),
    { name: "TypeError", message: /running variance/ },
  );
  assert.throws(() => batchNorm2d(one, { weight, bias, training: true }), {
    name: "TypeError",
    message: /more than 1 value/,
  });
  assert.throws(() => batchNorm2d(x3, { weight, bias, training: true }), {
    name: "TypeError",
    message: /4D/,
  });
  assert.throws(() => batchNorm2d(x, { weight, bias, training: true, eps: -1 }), RangeError);
  assert.throws(() => batchNorm2d(x, { weight, bias, training: true, momentum: NaN }), RangeError);
  assert.throws(
    () =>
      batchNorm2d(
        x,
        { weight, bias } as unknown as { weight: Tensor; bias: Tensor; training: boolean },
      ),
    { name: "TypeError", message: /training must be true or false/ },
  );
  for (const t of [x, weight, bias, four, one, x3]) t.dispose();
});

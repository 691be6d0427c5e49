import assert from "node:assert/strict";
import { checkOp, gpu, randn } from "../../tests/check.ts";
import { Tensor } from "../tensor/tensor.ts";
import { bceLoss, l1Loss, mean, mseLoss, sum } from "./reduce.ts";

const total = (v: Float64Array) => v.reduce((a, b) => a + b, 0);
const shape = [2, 3, 5, 7];
const n = 210;

Deno.test("sum and mean match a float64 sum and its gradient", async () => {
  await checkOp({
    inputs: [{ shape }],
    gpu: ([x]) => sum(x),
    ref: ([x]) => Float64Array.of(total(x)),
  });
  await checkOp({
    inputs: [{ shape }],
    gpu: ([x]) => mean(x),
    ref: ([x]) => Float64Array.of(total(x) / n),
  });
});

Deno.test("sum over many workgroups is exact to float32 rounding", async () => {
  const big = [1, 3, 300, 301];
  await checkOp({
    inputs: [{ shape: big, data: randn(270900, 5).map((v) => Math.fround(v + 3)), grad: false }],
    gpu: ([x]) => sum(x),
    ref: ([x]) => Float64Array.of(total(x)),
    rtol: 1e-5,
  });
});

Deno.test("mseLoss matches mean((x - z)^2) with tensor and constant targets", async () => {
  const sq = (x: Float64Array, z: (i: number) => number) =>
    Float64Array.of(total(x.map((v, i) => (v - z(i)) ** 2)) / n);
  await checkOp({
    inputs: [{ shape }, { shape }],
    gpu: ([x, z]) => mseLoss(x, z),
    ref: ([x, z]) => sq(x, (i) => z[i]),
  });
  await checkOp({ inputs: [{ shape }], gpu: ([x]) => mseLoss(x, 1), ref: ([x]) => sq(x, () => 1) });
});

Deno.test("l1Loss matches mean(|x - z|) and its gradient", () =>
  checkOp({
    inputs: [{ shape }, { shape }],
    gpu: ([x, z]) => l1Loss(x, z),
    ref: ([x, z]) => Float64Array.of(total(x.map((v, i) => Math.abs(v - z[i]))) / n),
  }));

Deno.test("bceLoss matches PyTorch's BCELoss and its gradient", async () => {
  const probs = randn(n, 7).map((v) => Math.fround(1 / (1 + Math.exp(-v))));
  const targets = randn(n, 8).map((v) => Math.fround(1 / (1 + Math.exp(-2 * v))));
  const bce = (x: Float64Array, t: (i: number) => number) =>
    Float64Array.of(
      total(x.map((v, i) => -(t(i) * Math.log(v) + (1 - t(i)) * Math.log(1 - v)))) / n,
    );
  await checkOp({
    inputs: [{ shape, data: probs }, { shape, data: targets }],
    gpu: ([x, z]) => bceLoss(x, z),
    ref: ([x, z]) => bce(x, (i) => z[i]),
    h: 1e-7,
  });
  await checkOp({
    inputs: [{ shape, data: probs }],
    gpu: ([x]) => bceLoss(x, 0),
    ref: ([x]) => bce(x, () => 0),
    h: 1e-7,
  });
});

Deno.test("bceLoss clamps log(0) at -100 as PyTorch", async () => {
  await gpu();
  const x = Tensor.from([0, 1], [2]);
  const loss = bceLoss(x, Tensor.from([1, 0], [2]));
  assert.deepEqual([...(await loss.data())], [100]);
  x.dispose(), loss.dispose();
});

Deno.test("losses refuse mismatched shapes, empty tensors and non-finite targets", async () => {
  await gpu();
  const a = Tensor.from(new Float32Array(6), [2, 3]);
  const b = Tensor.from(new Float32Array(6), [6]);
  assert.throws(() => mseLoss(a, b), { name: "TypeError", message: /\[2,3\] and \[6\]/ });
  assert.throws(() => l1Loss(a, Infinity), RangeError);
  assert.throws(() => sum(Tensor.empty([0, 3])), { name: "RangeError", message: /empty/ });
  a.dispose(), b.dispose();
});

import assert from "node:assert/strict";
import { checkOp, gpu, randn } from "../../tests/check.ts";
import { backward } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import { add, scale } from "./elementwise.ts";
import { bceLoss, l1Loss, type LossTerm, mean, mseLoss, sum, weightedLossSum } from "./reduce.ts";

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

Deno.test("weightedLossSum matches a float64 weighted sum of MSE, L1 and BCE and its gradients", () => {
  const probs = randn(n, 9).map((v) => Math.fround(1 / (1 + Math.exp(-v))));
  const small = [3, 4];
  return checkOp({
    inputs: [{ shape }, { shape }, { shape: small }, { shape, data: probs }],
    gpu: ([a, b, c, p]) =>
      weightedLossSum([
        { loss: "l1", x: a, target: b, weight: 2.5 },
        { loss: "mse", x: c, target: 1 },
        { loss: "bce", x: p, target: 0, weight: 0.25 },
      ]),
    ref: ([a, b, c, p]) =>
      Float64Array.of(
        2.5 * total(a.map((v, i) => Math.abs(v - b[i]))) / n +
          total(c.map((v) => (v - 1) ** 2)) / 12 +
          0.25 * total(p.map((v) => -Math.log(1 - v))) / n,
      ),
    h: 1e-6,
  });
});

// 3 terms (pix2pixHD's feature matching and VGG losses have 5 to 12) and 16 (past one pass's
// 14: the rest are added on).
for (const count of [3, 16]) {
  Deno.test(`weightedLossSum of ${count} terms gives the scaled losses' sum bit for bit, two terms a dispatch`, async () => {
    const rt = await gpu();
    const make = () =>
      Array.from({ length: count }, (_, k) => {
        const x = Tensor.from(Float32Array.from(randn(40 + 97 * k, 20 + k)), [40 + 97 * k]);
        const t = Tensor.from(Float32Array.from(randn(40 + 97 * k, 60 + k)), [40 + 97 * k]);
        x.requiresGrad = true;
        return { x, t, w: k === 1 ? 1 : 1 / (k + 3) };
      });
    const run = async (fused: boolean) => {
      const terms = make();
      const before = rt.dispatches;
      const loss = fused
        ? weightedLossSum(terms.map((t, k): LossTerm => ({
          loss: k % 2 ? "mse" : "l1",
          x: t.x,
          target: t.t,
          weight: t.w,
        })))
        : terms
          .map((t, k) => scale((k % 2 ? mseLoss : l1Loss)(t.x, t.t), t.w))
          .reduce((a, b) => add(a, b));
      backward(loss, Tensor.from([1.5], []));
      const dispatches = rt.dispatches - before;
      const out = [await loss.data(), ...(await Promise.all(terms.map((t) => t.x.grad!.data())))];
      loss.dispose();
      for (const t of terms) t.x.dispose(), t.t.dispose();
      return { out, dispatches };
    };
    const fused = await run(true);
    const plain = await run(false);
    assert.deepEqual(fused.out, plain.out);
    assert.ok(fused.dispatches < plain.dispatches, `${fused.dispatches} < ${plain.dispatches}`);
    // Two terms a pass forward and backward, and the total.
    if (count <= 14) assert.equal(fused.dispatches, 2 * Math.ceil(count / 2) + 1);
  });
}

Deno.test("weightedLossSum refuses no terms, unknown losses and non-finite weights", async () => {
  await gpu();
  const a = Tensor.from(new Float32Array(6), [2, 3]);
  assert.throws(() => weightedLossSum([]), {
    name: "RangeError",
    message: "Cannot sum losses as there must be at least one term: current value is 0",
  });
  assert.throws(() => weightedLossSum([{ loss: "huber" as "l1", x: a, target: 0 }]), {
    name: "RangeError",
    message:
      "Cannot sum losses as a term's loss must be 'mse', 'l1' or 'bce': current value is 'huber'",
  });
  assert.throws(() => weightedLossSum([{ loss: "l1", x: a, target: 0, weight: NaN }]), {
    name: "RangeError",
    message: "Cannot weigh a loss by a non-finite number: current value is NaN",
  });
  assert.throws(
    () => weightedLossSum([{ loss: "l1", x: a, target: Tensor.from(new Float32Array(6), [6]) }]),
    { name: "TypeError", message: /\[2,3\] and \[6\]/ },
  );
  a.dispose();
});

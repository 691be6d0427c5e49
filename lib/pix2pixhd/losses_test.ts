import assert from "node:assert/strict";
import { checkOp, gpu, randn } from "../../tests/check.ts";
import { mul, relu, scale, tanh } from "../ops/elementwise.ts";
import { tapeLength } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import { featureMatchingLoss, ganLoss, VGG_LOSS_WEIGHTS, vggLoss } from "./losses.ts";

const meanOf = (n: number, f: (i: number) => number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += f(i);
  return s / n;
};
const sigma = (v: number) => 1 / (1 + Math.exp(-v));

// Two scales; only the last output of each is scored (the first ones are ignored).
const SCORES = [[1, 1, 5, 6], [1, 1, 3, 3]];

for (const real of [true, false]) {
  const t = real ? 1 : 0;
  Deno.test(`ganLoss, LSGAN, target ${t}: Σ over scales of mean((score - ${t})²)`, () =>
    checkOp({
      inputs: [{ shape: [1, 2, 4, 4], grad: false }, ...SCORES.map((shape) => ({ shape }))],
      gpu: ([early, a, b]) => ganLoss([[early, a], [early, b]], real),
      ref: ([, a, b]) =>
        Float64Array.of(
          meanOf(a.length, (i) => (a[i] - t) ** 2) + meanOf(b.length, (i) => (b[i] - t) ** 2),
        ),
    }));

  Deno.test(`ganLoss, BCE on raw scores with sigmoid, target ${t}`, () =>
    checkOp({
      inputs: SCORES.map((shape) => ({ shape })),
      gpu: ([a, b]) => ganLoss([[a], [b]], real, { lsgan: false, sigmoid: true }),
      ref: ([a, b]) => {
        const bce = (v: number) => -Math.log(real ? sigma(v) : 1 - sigma(v));
        return Float64Array.of(
          meanOf(a.length, (i) => bce(a[i])) + meanOf(b.length, (i) => bce(b[i])),
        );
      },
    }));
}

Deno.test("ganLoss, BCE on probabilities (a discriminator ending in a sigmoid)", () => {
  const p = Float64Array.from(randn(30, 7), (v) => Math.fround(sigma(v)));
  return checkOp({
    inputs: [{ shape: [1, 1, 5, 6], data: p }],
    gpu: ([a]) => ganLoss([[a]], true, { lsgan: false }),
    ref: ([a]) => Float64Array.of(meanOf(a.length, (i) => -Math.log(a[i]))),
    h: 1e-5,
  });
});

Deno.test("featureMatchingLoss: 1/num_D · 4/(n_layers_D + 1) · lambda_feat · L1 of every non-final output", () => {
  // num_D 2, n_layers_D 1: three outputs per scale, the first two matched.
  const shapes = [[1, 2, 4, 4], [1, 3, 2, 2], [1, 1, 2, 2], [1, 2, 2, 2], [1, 3, 1, 1], [
    1,
    1,
    1,
    1,
  ]];
  const weight = (1 / 2) * (4 / 2) * 7;
  return checkOp({
    inputs: [
      // the score maps (2 and 5) are not matched, so they get no gradient
      ...shapes.map((shape, k) => ({ shape, grad: k % 3 !== 2 })),
      ...shapes.map((shape) => ({ shape, grad: false })),
    ],
    gpu: (xs) => {
      const fake = [xs.slice(0, 3), xs.slice(3, 6)];
      const real = [xs.slice(6, 9), xs.slice(9, 12)];
      return featureMatchingLoss(fake, real, { lambdaFeat: 7 });
    },
    ref: (xs) => {
      let s = 0;
      for (const k of [0, 1, 3, 4]) {
        s += weight * meanOf(xs[k].length, (i) => Math.abs(xs[k][i] - xs[k + 6][i]));
      }
      return Float64Array.of(s);
    },
  });
});

Deno.test("featureMatchingLoss detaches the real features", async () => {
  await gpu();
  const fake = Tensor.from([1, 2], [1, 2, 1, 1]);
  const real = Tensor.from([0, 0], [1, 2, 1, 1]);
  const score = Tensor.from([0], [1, 1, 1, 1]);
  fake.requiresGrad = real.requiresGrad = true;
  // num_D 1, n_layers_D 0: the weight is 1 · 4/1 · 10
  const loss = featureMatchingLoss([[fake, score]], [[real, score]]);
  assert.deepEqual([...await loss.data()], [40 * 1.5]);
  loss.backward();
  assert.equal(real.grad, null);
  assert.deepEqual([...await fake.grad!.data()], [20, 20]);
  for (const t of [fake, real, score, loss]) t.dispose();
});

/** A stand-in for VGG19: five maps made from the image by differentiable ops. */
const extractor = {
  forward: (x: Tensor) => [x, scale(x, 2), relu(x), tanh(x), mul(x, x)],
};
const features = (x: Float64Array) => [
  x,
  x.map((v) => 2 * v),
  x.map((v) => Math.max(v, 0)),
  x.map(Math.tanh),
  x.map((v) => v * v),
];

Deno.test("vggLoss: lambda_feat · Σ w_k L1(φ_k(fake), φ_k(real)) with w = 1/32 ... 1", () =>
  checkOp({
    inputs: [{ shape: [1, 3, 4, 5] }, { shape: [1, 3, 4, 5], grad: false }],
    gpu: ([fake, real]) => vggLoss(extractor, fake, real, { lambdaFeat: 3 }),
    ref: ([fake, real]) => {
      const fx = features(fake);
      const fy = features(real);
      let s = 0;
      fx.forEach((f, k) => {
        s += 3 * VGG_LOSS_WEIGHTS[k] * meanOf(f.length, (i) => Math.abs(f[i] - fy[k][i]));
      });
      return Float64Array.of(s);
    },
  }));

Deno.test("vggLoss records no tape for the real image", async () => {
  await gpu();
  const fake = Tensor.from(randn(12, 3), [1, 3, 2, 2]);
  const real = Tensor.from(randn(12, 4), [1, 3, 2, 2]);
  fake.requiresGrad = real.requiresGrad = true;
  const before = tapeLength();
  const loss = vggLoss(extractor, fake, real);
  // fake: 4 feature ops and the weighted sum of 5 L1 losses; real: nothing
  assert.equal(tapeLength() - before, 5);
  loss.backward();
  assert.equal(real.grad, null);
  assert.ok(fake.grad);
  for (const t of [fake, real, loss]) t.dispose();
});

Deno.test("the losses refuse malformed discriminator outputs and option mixes", async () => {
  await gpu();
  const x = Tensor.from([0.5], [1, 1, 1, 1]);
  assert.throws(() => ganLoss([], true), {
    name: "RangeError",
    message: "Cannot compute the GAN loss as every scale must have at least 1 output(s): " +
      "current value is []",
  });
  assert.throws(() => ganLoss([[x]], true, { sigmoid: true }), TypeError);
  assert.throws(() => featureMatchingLoss([[x]], [[x]]), {
    name: "RangeError",
    message: /at least 2 output/,
  });
  assert.throws(() => featureMatchingLoss([[x, x]], [[x, x, x]]), {
    name: "TypeError",
    message: /one layout: current value is \[2\] and \[3\]/,
  });
  assert.throws(() => vggLoss({ forward: (t) => [t] }, x, x), {
    name: "RangeError",
    message: /must return 5 feature maps: current value is 1/,
  });
  x.dispose();
});

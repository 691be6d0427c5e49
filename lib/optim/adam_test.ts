import assert from "node:assert/strict";
import { assertClose, gpu, randn } from "../../tests/check.ts";
import { runtime } from "../gpu/kernel.ts";
import { Tensor } from "../tensor/tensor.ts";
import { Adam } from "./adam.ts";

Deno.test("Adam matches PyTorch's update in float64 over steps with a changing rate", async () => {
  await gpu();
  const sizes = [37, 300];
  const ws = sizes.map((n, k) => randn(n, 10 + k));
  const params = ws.map((w) => {
    const t = Tensor.from(Float32Array.from(w), [w.length]);
    t.requiresGrad = true;
    return t;
  });
  const [b1, b2, eps] = [0.5, 0.999, 1e-8];
  const opt = new Adam(params, { lr: 0.01, betas: [b1, b2], eps });
  const ms = ws.map((w) => new Float64Array(w.length));
  const vs = ws.map((w) => new Float64Array(w.length));
  for (let t = 1; t <= 4; t++) {
    const lr = 0.01 / t;
    opt.lr = lr;
    params.forEach((p, k) => {
      const g = randn(ws[k].length, 100 * t + k, t === 3 ? 1e-6 : 1);
      p.grad?.dispose();
      p.grad = Tensor.from(Float32Array.from(g), p.shape);
      g.forEach((gi, i) => {
        ms[k][i] = b1 * ms[k][i] + (1 - b1) * gi;
        vs[k][i] = b2 * vs[k][i] + (1 - b2) * gi * gi;
        const denom = Math.sqrt(vs[k][i]) / Math.sqrt(1 - b2 ** t) + eps;
        ws[k][i] -= (lr / (1 - b1 ** t)) * ms[k][i] / denom;
      });
    });
    opt.step();
  }
  for (let k = 0; k < params.length; k++) {
    assertClose(await params[k].data(), ws[k], `parameter ${k}`, { atol: 1e-6, rtol: 1e-5 });
    assertClose(await opt.moments[k].v.data(), vs[k], `second moment ${k}`, { atol: 1e-9 });
  }
  assert.equal(opt.steps, 4);
  opt.zeroGrad();
  assert.equal(params[0].grad, null);
  opt.dispose();
  for (const p of params) p.dispose();
});

Deno.test("Adam refuses bad hyper-parameters and non-leaf parameters", async () => {
  await gpu();
  const p = Tensor.from([1, 2], [2]);
  assert.throws(() => new Adam([p]), { name: "TypeError", message: /parameter 0/ });
  p.requiresGrad = true;
  assert.throws(() => new Adam([p], { lr: -1 }), {
    name: "RangeError",
    message: "Cannot use Adam's learning rate: current value is -1, expected a number >= 0",
  });
  assert.throws(() => new Adam([p], { betas: [0.5, 1] }), {
    name: "RangeError",
    message: /Adam's beta2: current value is 1, expected a number in \[0, 1\)/,
  });
  assert.throws(() => new Adam([p], { eps: NaN }), { name: "RangeError", message: /eps.*NaN/ });
  p.dispose();
});

Deno.test("Adam updates many parameters a few dispatches at a time, skipping those without a gradient", async () => {
  await gpu();
  const sizes = Array.from({ length: 21 }, (_, k) => 1 + ((k * 37) % 300));
  const ws = sizes.map((n, k) => randn(n, 50 + k));
  const params = ws.map((w) => {
    const t = Tensor.from(Float32Array.from(w), [w.length]);
    t.requiresGrad = true;
    return t;
  });
  const [b1, b2, eps, lr] = [0.9, 0.999, 1e-8, 0.003];
  const opt = new Adam(params, { lr, betas: [b1, b2], eps });
  // Every third parameter has no gradient and must stay as it is.
  const graded = params.map((_, k) => k % 3 !== 1);
  const gs = sizes.map((n, k) => randn(n, 500 + k));
  params.forEach((p, k) => {
    if (graded[k]) p.grad = Tensor.from(Float32Array.from(gs[k]), p.shape);
  });
  const rt = runtime();
  const before = rt.dispatches;
  opt.step();
  const group = Math.min(16, Math.floor(rt.gpu.limits.maxStorageBuffersPerShaderStage / 4));
  const due = graded.filter(Boolean).length;
  assert.equal(rt.dispatches - before, Math.ceil(due / group), `groups of ${group}`);
  for (let k = 0; k < params.length; k++) {
    const expected = ws[k].map((w, i) => {
      if (!graded[k]) return w;
      const g = gs[k][i];
      const m = (1 - b1) * g, v = (1 - b2) * g * g;
      return w - (lr / (1 - b1)) * m / (Math.sqrt(v) / Math.sqrt(1 - b2) + eps);
    });
    assertClose(await params[k].data(), expected, `parameter ${k}`, { atol: 1e-6, rtol: 1e-5 });
  }
  opt.zeroGrad();
  opt.dispose();
  for (const p of params) p.dispose();
});

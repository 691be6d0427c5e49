/**
 * Test helpers: a seeded random source, a float64 comparison, and the op check every op test
 * uses: the GPU forward against a float64 CPU reference, and the GPU backward against central
 * differences of `L = sum(w * f(x))` computed on that reference with a fixed random `w`.
 *
 * @module
 */

import { initGpu, type Runtime } from "../lib/gpu/kernel.ts";
import { backward } from "../lib/tensor/autograd.ts";
import { Tensor } from "../lib/tensor/tensor.ts";

/** The GPU runtime for tests. */
export function gpu(): Promise<Runtime> {
  return initGpu();
}

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` seeded standard normal numbers (Box-Muller), rounded to float32. */
export function randn(n: number, seed: number, scale = 1): Float64Array {
  const u = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    out[i] = Math.fround(r * scale);
  }
  return out;
}

/** Asserts |actual - expected| <= atol + rtol·|expected| everywhere, naming the worst index. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  { atol = 1e-5, rtol = 1e-4 } = {},
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  }
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(err <= excess)) {
      excess = Number.isNaN(err) ? Infinity : err;
      worst = i;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: index ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** One input of an op check. */
export interface Input {
  shape: number[];
  /** Values; seeded normal numbers when absent. */
  data?: Float64Array;
  /** Whether to check this input's gradient (default true). */
  grad?: boolean;
}

/** What {@linkcode checkOp} compares. */
export interface OpCheck {
  inputs: Input[];
  /** The GPU op. */
  gpu: (xs: Tensor[]) => Tensor;
  /** The float64 CPU reference of the same op. */
  ref: (xs: Float64Array[]) => Float64Array;
  /** Forward tolerance. */
  atol?: number;
  rtol?: number;
  /** Gradient tolerance (absolute and relative to the largest gradient). */
  gradTol?: number;
  /** Central difference step. */
  h?: number;
  seed?: number;
}

/** Checks an op's forward against its reference and its backward by central differences. */
export async function checkOp(c: OpCheck): Promise<void> {
  await gpu();
  const seed = c.seed ?? 1;
  const xs = c.inputs.map((inp, k) => {
    const n = inp.shape.reduce((a, b) => a * b, 1);
    return inp.data ?? randn(n, seed * 100 + k);
  });
  const ts = c.inputs.map((inp, k) => {
    const t = Tensor.from(Float32Array.from(xs[k]), inp.shape);
    t.requiresGrad = inp.grad !== false;
    return t;
  });
  const y = c.gpu(ts);
  const expected = c.ref(xs);
  assertClose(await y.data(), expected, "forward", { atol: c.atol ?? 1e-5, rtol: c.rtol ?? 1e-4 });
  const w = randn(y.size, seed * 100 + 99);
  const wt = Tensor.from(Float32Array.from(w), y.shape);
  if (ts.some((t) => t.requiresGrad)) backward(y, wt);
  const h = c.h ?? 1e-6;
  const loss = (inputs: Float64Array[]) => {
    const out = c.ref(inputs);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += w[i] * out[i];
    return s;
  };
  for (let k = 0; k < ts.length; k++) {
    if (c.inputs[k].grad === false) continue;
    const numeric = new Float64Array(xs[k].length);
    for (let j = 0; j < xs[k].length; j++) {
      const keep = xs[k][j];
      xs[k][j] = keep + h;
      const up = loss(xs);
      xs[k][j] = keep - h;
      const down = loss(xs);
      xs[k][j] = keep;
      numeric[j] = (up - down) / (2 * h);
    }
    const g = ts[k].grad;
    if (!g) throw new Error(`input ${k}: backward gave no gradient`);
    const biggest = numeric.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const tol = (c.gradTol ?? 1e-4) * Math.max(1, biggest);
    assertClose(await g.data(), numeric, `gradient of input ${k}`, { atol: tol, rtol: 1e-3 });
  }
  for (const t of [...ts, y, wt]) t.dispose();
}

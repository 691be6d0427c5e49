/**
 * Full reductions (sum, mean) and the mean losses pix2pixHD uses (MSE, L1, binary cross
 * entropy), each a deterministic two-pass reduction with its backward pass.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import src from "./reduce.wgsl" with { type: "text" };
import { add } from "./elementwise.ts";
import { expectFloat, expectSameShape, f32bits, kernels, launch } from "./util.ts";

const K = kernels(
  "reduce",
  src,
  ["partial_sum", "total", "total_terms", "grad", "partial_pair", "grad_pair"] as const,
);

const Mode = { Value: 0, Squared: 1, Absolute: 2, CrossEntropy: 3 } as const;

/** What one reduction sums: mode's term of x (and z) over every element, times a. */
interface Reduction {
  name: string;
  mode: number;
  x: Tensor;
  z: Tensor | number;
  mean: boolean;
}

/** Checks a reduction's arguments; returns its parameters, for `groups` partial sums at `offset`. */
function reductionParams(r: Reduction, groups: number, offset: number, w: number): number[] {
  const { name, x, z } = r;
  expectFloat(name, x);
  if (x.size === 0) {
    throw new RangeError(`Cannot take ${name} of an empty tensor: current shape is [${x.shape}]`);
  }
  if (z instanceof Tensor) expectFloat(name, z), expectSameShape(`take ${name} of`, x, z);
  else if (!Number.isFinite(z)) throw new RangeError(`Cannot use a non-finite target: ${z}`);
  const a = r.mean ? 1 / x.size : 1;
  const c = z instanceof Tensor ? 0 : z;
  // deno-fmt-ignore
  return [
    x.size, r.mode, z instanceof Tensor ? 1 : 0, f32bits(c), f32bits(a), groups, offset, f32bits(w),
  ];
}

/** Workgroups of a reduction's first pass. */
function groupsOf(x: Tensor): number {
  return Math.min(1024, Math.ceil(x.size / 2048));
}

/** The buffer bound as a reduction's target: z's, or x's when z is a number (unread). */
function targetBuffer(r: Reduction): GPUBuffer {
  return (r.z instanceof Tensor ? r.z : r.x).buffer;
}

/** Records the first pass of a reduction into `partial` (from its `offset`). */
function partialSums(r: Reduction, params: number[], partial: Tensor): void {
  const buffers = [r.x.buffer, targetBuffer(r), partial.buffer];
  runtime().dispatch(K.partial_sum, buffers, params, [params[5]]);
}

/** Records the first pass of two reductions in one dispatch (partial_pair): the same sums. */
function partialPair(
  a: { r: Reduction; params: number[] },
  b: { r: Reduction; params: number[] },
  partial: Tensor,
): void {
  const buffers = [
    a.r.x.buffer,
    targetBuffer(a.r),
    partial.buffer,
    b.r.x.buffer,
    targetBuffer(b.r),
  ];
  const groups = a.params[5] + b.params[5];
  runtime().dispatch(K.partial_pair, buffers, [...a.params, ...b.params, 0], [groups]);
}

/** One gradient pass of a reduction's input: `mode` of its parameters, into a new tensor. */
interface GradJob {
  params: number[];
  xs: Tensor;
  zs: Tensor | undefined;
  dx: Tensor;
}

/**
 * Records gradient passes (grad), two at a time in one dispatch (grad_pair) where there are
 * two: the same values.
 */
function runGrads(jobs: readonly GradJob[], dy: Tensor): void {
  for (let k = 0; k < jobs.length; k += 2) {
    const [a, b] = [jobs[k], jobs[k + 1]];
    const bufs = (j: GradJob) => [j.xs.buffer, (j.zs ?? j.xs).buffer];
    if (!b) {
      launch(K.grad, [...bufs(a), dy.buffer, a.dx.buffer], a.params, a.xs.size);
      continue;
    }
    const first = Math.ceil(a.xs.size / 256);
    const buffers = [...bufs(a), dy.buffer, a.dx.buffer, ...bufs(b), b.dx.buffer];
    const params = [...a.params, ...b.params, first];
    launch(K.grad_pair, buffers, params, (first + Math.ceil(b.xs.size / 256)) * 256);
  }
}

/** The gradient passes of a reduction's inputs that need one, with `mode` set for each. */
function gradJobs(
  r: Reduction,
  params: number[],
  xs: Tensor,
  zs: Tensor | undefined,
): { dx: GradJob | null; dz: GradJob | null } {
  const job = (mode: number): GradJob => {
    const p = [...params];
    p[1] = mode;
    return { params: p, xs, zs, dx: Tensor.empty(xs.shape) };
  };
  return {
    dx: r.x.requiresGrad ? job(r.mode) : null,
    dz: r.z instanceof Tensor && r.z.requiresGrad ? job(r.mode + 8) : null,
  };
}

/**
 * The gradients of a reduction's inputs (x, and z if a tensor), given dy of its value and the
 * inputs as the tape saved them (xs, and zs if z is a tensor).
 */
function reductionGrads(
  r: Reduction,
  params: number[],
  dy: Tensor,
  xs: Tensor,
  zs: Tensor | undefined,
): (Tensor | null)[] {
  const { dx, dz } = gradJobs(r, params, xs, zs);
  runGrads([dx, dz].filter((j) => j !== null), dy);
  return [dx?.dx ?? null, ...(r.z instanceof Tensor ? [dz?.dx ?? null] : [])];
}

function reduce(name: string, mode: number, x: Tensor, z: Tensor | number, mean: boolean): Tensor {
  const r = { name, mode, x, z, mean };
  const groups = groupsOf(x);
  const params = reductionParams(r, groups, 0, 1);
  const partial = Tensor.empty([groups]);
  const y = Tensor.empty([]);
  partialSums(r, params, partial);
  runtime().dispatch(K.total, [partial.buffer, y.buffer], params, [1]);
  partial.dispose();
  const inputs = z instanceof Tensor ? [x, z] : [x];
  return record(y, name, inputs, inputs, (dy, [xs, zs]) => reductionGrads(r, params, dy, xs, zs));
}

/** One term of {@linkcode weightedLossSum}. */
export interface LossTerm {
  /** The loss: PyTorch's MSELoss, L1Loss or BCELoss (see {@linkcode mseLoss} ...). */
  loss: "mse" | "l1" | "bce";
  /** The input. */
  x: Tensor;
  /** A tensor of x's shape, or a number. */
  target: Tensor | number;
  /** The term's weight (default 1). */
  weight?: number;
}

const LOSSES = {
  mse: { name: "mse_loss", mode: Mode.Squared },
  l1: { name: "l1_loss", mode: Mode.Absolute },
  bce: { name: "bce_loss", mode: Mode.CrossEntropy },
} as const;

/** The most terms one {@linkcode weightedLossSum} pass takes (its parameter block's room). */
const MAX_TERMS = 14;

/**
 * Σ_k weight_k · loss_k(x_k, target_k), added in order: the value and gradients of
 * `scale(l1Loss(x0, t0), w0)` + `scale(l1Loss(x1, t1), w1)` + ... bit for bit, in one pass per
 * term and one more (instead of three and an addition each), and one pass per input in the
 * backward.
 *
 * @example pix2pixHD's VGG loss
 * ```ts ignore
 * const loss = weightedLossSum(fx.map((f, k) => ({ loss: "l1", x: f, target: fy[k], weight: w[k] })));
 * ```
 */
export function weightedLossSum(terms: readonly LossTerm[]): Tensor {
  if (terms.length === 0) {
    throw new RangeError(
      "Cannot sum losses as there must be at least one term: current value is 0",
    );
  }
  if (terms.length > MAX_TERMS) {
    // The first MAX_TERMS in one pass, then the rest added on in order (each partial sum let go
    // once added: the tape keeps nothing of them).
    let total = weightedLossSum(terms.slice(0, MAX_TERMS));
    for (const t of terms.slice(MAX_TERMS)) {
      const one = weightedLossSum([t]);
      const next = add(total, one);
      total.dispose(), one.dispose();
      total = next;
    }
    return total;
  }
  const rt = runtime();
  let offset = 0;
  const parts = terms.map((t) => {
    const loss = LOSSES[t.loss];
    if (!loss) {
      throw new RangeError(
        `Cannot sum losses as a term's loss must be 'mse', 'l1' or 'bce': current value is '${t.loss}'`,
      );
    }
    const w = t.weight ?? 1;
    if (!Number.isFinite(w)) {
      throw new RangeError(`Cannot weigh a loss by a non-finite number: current value is ${w}`);
    }
    const r = { ...loss, x: t.x, z: t.target, mean: true };
    const groups = groupsOf(t.x);
    const params = reductionParams(r, groups, offset, w);
    offset += groups;
    return { r, params };
  });
  const partial = Tensor.empty([offset]);
  const y = Tensor.empty([]);
  const info = [terms.length, 0, 0, 0];
  parts.forEach(({ r, params }, k) => {
    // Two terms a pass: the second of a pair was recorded with the first.
    if (k % 2 === 0) {
      if (parts[k + 1]) partialPair(parts[k], parts[k + 1], partial);
      else partialSums(r, params, partial);
    }
    const [, , , , a, groups, start, w] = params;
    info.push(groups, start, a, w);
  });
  rt.dispatch(K.total_terms, [partial.buffer, y.buffer], info, [1]);
  partial.dispose();
  const inputs = parts.flatMap(({ r }) => (r.z instanceof Tensor ? [r.x, r.z] : [r.x]));
  return record(y, "weighted_loss_sum", inputs, inputs, (dy, saved) => {
    let at = 0;
    const jobs = parts.map(({ r, params }) => {
      const xs = saved[at++];
      const zs = r.z instanceof Tensor ? saved[at++] : undefined;
      return { z: r.z instanceof Tensor, ...gradJobs(r, params, xs, zs) };
    });
    // The inputs' gradients two a pass, then the targets' (rarely asked for).
    runGrads(jobs.flatMap((j) => (j.dx ? [j.dx] : [])), dy);
    runGrads(jobs.flatMap((j) => (j.dz ? [j.dz] : [])), dy);
    return jobs.flatMap((j) => [j.dx?.dx ?? null, ...(j.z ? [j.dz?.dx ?? null] : [])]);
  });
}

/**
 * The sum of all elements, as a 0-d tensor.
 *
 * @example
 * ```ts ignore
 * const total = sum(x);
 * ```
 */
export function sum(x: Tensor): Tensor {
  return reduce("sum", Mode.Value, x, 0, false);
}

/** The mean of all elements, as a 0-d tensor. */
export function mean(x: Tensor): Tensor {
  return reduce("mean", Mode.Value, x, 0, true);
}

/** mean((x - target)²), PyTorch's MSELoss; the target is a tensor of x's shape or a number. */
export function mseLoss(x: Tensor, target: Tensor | number): Tensor {
  return reduce("mse_loss", Mode.Squared, x, target, true);
}

/** mean(|x - target|), PyTorch's L1Loss; the target is a tensor of x's shape or a number. */
export function l1Loss(x: Tensor, target: Tensor | number): Tensor {
  return reduce("l1_loss", Mode.Absolute, x, target, true);
}

/**
 * PyTorch's BCELoss: mean(-(t·log x + (1 - t)·log(1 - x))) for probabilities x, with each log
 * clamped at -100.
 */
export function bceLoss(x: Tensor, target: Tensor | number): Tensor {
  return reduce("bce_loss", Mode.CrossEntropy, x, target, true);
}

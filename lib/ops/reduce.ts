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
import { expectFloat, expectSameShape, f32bits, kernels, launch } from "./util.ts";

const K = kernels("reduce", src, ["partial_sum", "total", "grad"] as const);

const Mode = { Value: 0, Squared: 1, Absolute: 2, CrossEntropy: 3 } as const;

function reduce(name: string, mode: number, x: Tensor, z: Tensor | number, mean: boolean): Tensor {
  expectFloat(name, x);
  if (x.size === 0) {
    throw new RangeError(`Cannot take ${name} of an empty tensor: current shape is [${x.shape}]`);
  }
  if (z instanceof Tensor) expectFloat(name, z), expectSameShape(`take ${name} of`, x, z);
  else if (!Number.isFinite(z)) throw new RangeError(`Cannot use a non-finite target: ${z}`);
  const rt = runtime();
  const a = mean ? 1 / x.size : 1;
  const zt = z instanceof Tensor ? z : x;
  const c = z instanceof Tensor ? 0 : z;
  const groups = Math.min(1024, Math.ceil(x.size / 2048));
  const params = [x.size, mode, z instanceof Tensor ? 1 : 0, f32bits(c), f32bits(a), groups];
  const partial = Tensor.empty([groups]);
  const y = Tensor.empty([]);
  rt.dispatch(K.partial_sum, [x.buffer, zt.buffer, partial.buffer], params, [groups]);
  rt.dispatch(K.total, [partial.buffer, y.buffer], params, [1]);
  partial.dispose();
  const inputs = z instanceof Tensor ? [x, z] : [x];
  return record(y, name, inputs, inputs, (dy, [xs, zs]) => {
    const grad = (m: number) => {
      const dx = Tensor.empty(x.shape);
      const p = [...params];
      p[1] = m;
      launch(K.grad, [xs.buffer, (zs ?? xs).buffer, dy.buffer, dx.buffer], p, x.size);
      return dx;
    };
    return [
      x.requiresGrad ? grad(mode) : null,
      z instanceof Tensor && z.requiresGrad ? grad(mode + 8) : null,
    ];
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

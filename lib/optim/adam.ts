/**
 * Adam, as PyTorch computes it (bias-corrected, no weight decay), one fused kernel per step over
 * every parameter; the learning rate may change between steps.
 *
 * @module
 */

import { f32bits, runtime } from "../gpu/kernel.ts";
import { full } from "../tensor/autograd.ts";
import type { Tensor } from "../tensor/tensor.ts";
import src from "./adam.wgsl" with { type: "text" };

const STEP = { name: "adam.step", code: src, entry: "step" };

/** Adam's hyper-parameters (PyTorch's defaults; pix2pixHD uses lr 0.0002 and beta1 0.5). */
export interface AdamOptions {
  /** The learning rate (default 0.001). */
  lr?: number;
  /** The moments' decay rates β1, β2 (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the second moment's root (default 1e-8). */
  eps?: number;
}

/**
 * Updates parameters from their `.grad`.
 *
 * @example
 * ```ts ignore
 * const opt = new Adam(params, { lr: 0.0002, betas: [0.5, 0.999] });
 * backward(loss);
 * opt.step();
 * opt.zeroGrad();
 * ```
 */
export class Adam {
  /** The parameters, in order. */
  readonly params: readonly Tensor[];
  /** The learning rate of the next step. */
  lr: number;
  /** The moments' decay rates β1, β2. */
  readonly betas: readonly [number, number];
  /** Added to the second moment's root. */
  readonly eps: number;
  /** Steps taken. */
  steps = 0;
  /** First and second moments, one pair per parameter. */
  readonly moments: { m: Tensor; v: Tensor }[];

  /** Adam over `params` (each must require a gradient), with zero moments. */
  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8 } = options;
    const check = (ok: boolean, what: string, value: number, expected: string) => {
      if (!ok) {
        throw new RangeError(
          `Cannot use Adam's ${what}: current value is ${value}, expected ${expected}`,
        );
      }
    };
    check(lr >= 0, "learning rate", lr, "a number >= 0");
    betas.forEach((b, i) => check(b >= 0 && b < 1, `beta${i + 1}`, b, "a number in [0, 1)"));
    check(eps >= 0, "eps", eps, "a number >= 0");
    params.forEach((p, i) => {
      if (p.dtype !== "float32" || !p.requiresGrad || p.node) {
        throw new TypeError(
          `Cannot optimize parameter ${i} as it must be a float32 leaf tensor that requires a gradient`,
        );
      }
    });
    this.params = [...params];
    this.lr = lr;
    this.betas = betas;
    this.eps = eps;
    this.moments = params.map((p) => ({ m: full(p.shape, 0).keep(), v: full(p.shape, 0).keep() }));
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    this.steps++;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.steps;
    const bc2 = 1 - b2 ** this.steps;
    const params = [0, this.lr, b1, b2, this.eps, this.lr / bc1, Math.sqrt(bc2)].map(f32bits);
    const rt = runtime();
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      params[0] = p.size;
      const { m, v } = this.moments[i];
      const buffers = [p.grad.buffer, p.buffer, m.buffer, v.buffer];
      rt.dispatch(STEP, buffers, params, rt.grid(Math.ceil(p.size / 256)));
    });
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Frees the moments. */
  dispose(): void {
    for (const { m, v } of this.moments) m.dispose(), v.dispose();
  }
}

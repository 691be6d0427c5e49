/**
 * Adam, as PyTorch computes it (bias-corrected, no weight decay), one fused kernel a step over up
 * to 16 parameters at a time; the learning rate may change between steps.
 *
 * @module
 */

import { f32bits, type Kernel, runtime } from "../gpu/kernel.ts";
import { full } from "../tensor/autograd.ts";
import type { Tensor } from "../tensor/tensor.ts";
import src from "./adam.wgsl" with { type: "text" };

/** The most parameters one dispatch updates (its sizes fill the uniform's `n`). */
const MAX_GROUP = 16;

/** The step kernel over `k` parameters: 4 bindings and one update block each. */
function stepKernel(k: number): Kernel {
  let bindings = "", update = "";
  for (let j = 0; j < k; j++) {
    bindings += ["g", "w", "m", "v"].map((name, b) =>
      `@group(0) @binding(${4 * j + b + 1}) var<storage, ${
        name === "g" ? "read" : "read_write"
      }> ${name}${j}: array<f32>;\n`
    ).join("");
    update += `  if (i < p.n[${j >> 2}][${j & 3}]) {
    let r = adam(g${j}[i], m${j}[i], v${j}[i], w${j}[i]);
    m${j}[i] = r.x;
    v${j}[i] = r.y;
    w${j}[i] = r.z;
    return;
  }
  i -= p.n[${j >> 2}][${j & 3}];
`;
  }
  const code = src.replace("// @bindings", bindings).replace("  // @update", update);
  return { name: `adam.step${k}`, code, entry: "step" };
}

const KERNELS = new Map<number, Kernel>();
function kernelFor(k: number): Kernel {
  let kernel = KERNELS.get(k);
  if (!kernel) KERNELS.set(k, kernel = stepKernel(k));
  return kernel;
}

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

  /**
   * One update of every parameter that has a gradient: a dispatch per group of up to 16 of them
   * (fewer where the device binds fewer storage buffers), each element as PyTorch updates it.
   */
  step(): void {
    this.steps++;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** this.steps;
    const bc2 = 1 - b2 ** this.steps;
    const floats = [b1, b2, this.eps, this.lr / bc1, Math.sqrt(bc2)].map(f32bits);
    const rt = runtime();
    const group = Math.min(
      MAX_GROUP,
      Math.floor(rt.gpu.limits.maxStorageBuffersPerShaderStage / 4),
    );
    const due = this.params.flatMap((p, i) => (p.grad ? [i] : []));
    for (let at = 0; at < due.length; at += group) {
      const part = due.slice(at, at + group);
      const sizes = part.map((i) => this.params[i].size);
      const buffers = part.flatMap((i) => {
        const p = this.params[i], { m, v } = this.moments[i];
        return [p.grad!.buffer, p.buffer, m.buffer, v.buffer];
      });
      const params = [...floats, 0, 0, 0, ...sizes, ...Array(4 * 4 - sizes.length).fill(0)];
      const total = sizes.reduce((a, b) => a + b, 0);
      rt.dispatch(kernelFor(part.length), buffers, params, rt.grid(Math.ceil(total / 256)));
    }
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

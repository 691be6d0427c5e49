/**
 * pix2pixHD's `weights_init`, from a seed: every convolution and transposed convolution weight
 * ~ N(0, 0.02) and its bias ~ U(-1/√fan_in, 1/√fan_in) (PyTorch's default, which pix2pixHD
 * keeps); every batch-norm weight ~ N(1, 0.02) and bias 0. The numbers come from this module's own
 * generator, not PyTorch's, so a seed gives the same network here every time but not the one
 * `torch.manual_seed` gives.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { BatchNorm2d, Conv2d, ConvTranspose2d } from "./layers.ts";
import type { Module } from "./module.ts";

/** Options of {@linkcode initWeights}. */
export interface InitWeightsOptions {
  /** Any integer; only its low 32 bits count. */
  seed: number;
}

/** xoshiro128** seeded by splitmix32: uniform numbers in [0, 1), normal ones by Box-Muller. */
class Random {
  readonly #s = new Uint32Array(4);
  #spare: number | null = null;

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** Uniform in [0, 1), 32 random bits. */
  uniform(): number {
    const s = this.#s;
    const rotl = (v: number, k: number) => (v << k) | (v >>> (32 - k));
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result / 4294967296;
  }

  /** Standard normal. */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

function write(t: Tensor, fill: () => number): void {
  const data = new Float32Array(t.size);
  for (let i = 0; i < data.length; i++) data[i] = fill();
  runtime().write(t.buffer, data);
}

function visit(module: Module, rng: Random): void {
  if (module instanceof Conv2d || module instanceof ConvTranspose2d) {
    const [, dim1, kh, kw] = module.weight.shape;
    // PyTorch's fan-in reads dimension 1 of the weight: Cin for a convolution, Cout for a
    // transposed one.
    const bound = 1 / Math.sqrt(dim1 * kh * kw);
    write(module.weight, () => 0.02 * rng.normal());
    if (module.bias) write(module.bias, () => (2 * rng.uniform() - 1) * bound);
  } else if (module instanceof BatchNorm2d) {
    write(module.weight, () => 1 + 0.02 * rng.normal());
    write(module.bias, () => 0);
  }
  for (const [, child] of module.namedChildren()) visit(child, rng);
}

/**
 * Gives every convolution and batch norm in `module` pix2pixHD's initial weights, drawn in
 * state_dict order from `seed`. Returns the module.
 *
 * @example
 * ```ts ignore
 * const conv = initWeights(new Conv2d(3, 16, { kernelSize: 3 }), { seed: 1 });
 * ```
 */
export function initWeights<M extends Module>(module: M, options: InitWeightsOptions): M {
  if (!Number.isInteger(options.seed)) {
    throw new TypeError(
      `Cannot initialize weights as the seed must be an integer: current value is ${options.seed}`,
    );
  }
  visit(module, new Random(options.seed));
  return module;
}

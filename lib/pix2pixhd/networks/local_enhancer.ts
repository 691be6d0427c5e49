/**
 * pix2pixHD's local enhancer (`--netG local`): a global generator on a downsampled input, refined
 * by one enhancer per doubling of the resolution.
 *
 * @module
 */

import {
  AvgPool2d,
  Conv2d,
  ConvTranspose2d,
  Layer,
  ReflectionPad2d,
  ReLU,
  Sequential,
  Tanh,
} from "../../nn/layers.ts";
import { add } from "../../ops/elementwise.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { integerOption } from "./check.ts";
import { globalGeneratorLayers } from "./global_generator.ts";
import { normLayer, type NormType } from "./norm.ts";
import { ResnetBlock } from "./resnet_block.ts";

/** Options of {@linkcode LocalEnhancer}, with the defaults of pix2pixHD's class. */
export interface LocalEnhancerOptions {
  /** Channels of the outermost enhancer (default 32); the global part has ngf·2^nLocalEnhancers. */
  ngf?: number;
  /** Downsamplings of the global part (default 3). */
  nDownsampleGlobal?: number;
  /** Residual blocks of the global part (default 9). */
  nBlocksGlobal?: number;
  /** Enhancers, each doubling the resolution (default 1). */
  nLocalEnhancers?: number;
  /** Residual blocks of each enhancer (default 3). */
  nBlocksLocal?: number;
  /** The norm layers (default "instance"). */
  norm?: NormType;
}

/**
 * pix2pixHD's `LocalEnhancer`. Keys: the global generator's `model.*` without its last three
 * layers (padding, 7×7 output convolution, tanh), then `model{n}_1.*` (front end: ReflectionPad(3),
 * Conv7×7, Norm, ReLU, Conv3×3 s2, Norm, ReLU) and `model{n}_2.*` (back end: residual blocks,
 * ConvTranspose3×3 s2, Norm, ReLU, and for the last enhancer ReflectionPad(3), Conv7×7, Tanh) for
 * n = 1 ... nLocalEnhancers.
 *
 * The forward pass builds an input pyramid with AvgPool2d(3, 2, 1, count_include_pad=False),
 * runs the global part on the coarsest level, then for each enhancer n sums its front end's
 * output on level N - n with the previous output and runs its back end on the sum.
 *
 * @example
 * ```ts ignore
 * const g = new LocalEnhancer(36, 3, { ngf: 32, nDownsampleGlobal: 4, nLocalEnhancers: 1 });
 * const image = noGrad(() => g.forward(input)); // (1, 36, 1024, 2048) -> (1, 3, 1024, 2048)
 * ```
 */
export class LocalEnhancer extends Layer {
  /** The global generator's layers but the last three. */
  readonly model: Sequential;
  /** Each enhancer's front end (`model{n}_1`) and back end (`model{n}_2`), n = 1 ... N. */
  readonly enhancers: readonly { readonly front: Sequential; readonly back: Sequential }[];
  /** The input pyramid's downsampler. */
  readonly downsample: AvgPool2d;
  readonly #nDownsampleGlobal: number;

  /** A generator from `inputNc` to `outputNc` channels. */
  constructor(inputNc: number, outputNc: number, options: LocalEnhancerOptions = {}) {
    super();
    const ngf = integerOption("ngf", options.ngf ?? 32, 1);
    const n = integerOption("nLocalEnhancers", options.nLocalEnhancers ?? 1, 1);
    const nBlocksLocal = integerOption("nBlocksLocal", options.nBlocksLocal ?? 3, 0);
    const norm = options.norm ?? "instance";
    this.#nDownsampleGlobal = options.nDownsampleGlobal ?? 3;
    const global = globalGeneratorLayers(inputNc, outputNc, {
      ngf: ngf * 2 ** n,
      nDownsampling: this.#nDownsampleGlobal,
      nBlocks: options.nBlocksGlobal ?? 9,
      norm,
    });
    this.model = this.addModule("model", new Sequential(global.slice(0, -3)));
    const enhancers = [];
    for (let i = 1; i <= n; i++) {
      const g = ngf * 2 ** (n - i);
      const front = new Sequential([
        new ReflectionPad2d(3),
        new Conv2d(inputNc, g, { kernelSize: 7 }),
        normLayer(norm, g),
        new ReLU(),
        new Conv2d(g, 2 * g, { kernelSize: 3, stride: 2, padding: 1 }),
        normLayer(norm, 2 * g),
        new ReLU(),
      ]);
      const back: Layer[] = [];
      for (let b = 0; b < nBlocksLocal; b++) back.push(new ResnetBlock(2 * g, { norm }));
      back.push(
        new ConvTranspose2d(2 * g, g, { kernelSize: 3, stride: 2, padding: 1, outputPadding: 1 }),
        normLayer(norm, g),
        new ReLU(),
      );
      if (i === n) {
        back.push(
          new ReflectionPad2d(3),
          new Conv2d(ngf, outputNc, { kernelSize: 7 }),
          new Tanh(),
        );
      }
      enhancers.push({
        front: this.addModule(`model${i}_1`, front),
        back: this.addModule(`model${i}_2`, new Sequential(back)),
      });
    }
    this.enhancers = enhancers;
    this.downsample = this.addModule(
      "downsample",
      new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
    );
  }

  /** Throws unless the pyramid's levels line up at every sum. */
  #checkSize(x: Tensor): void {
    const n = this.enhancers.length;
    const d = this.#nDownsampleGlobal;
    for (const side of [x.shape[2], x.shape[3]]) {
      const levels = [side];
      for (let i = 0; i < n; i++) levels.push(Math.ceil(levels[i] / 2));
      let out = levels[n];
      for (let i = 0; i < d; i++) out = Math.ceil(out / 2);
      out *= 2 ** d;
      for (let i = 1; i <= n; i++) {
        const front = Math.ceil(levels[n - i] / 2);
        if (front !== out) {
          throw new RangeError(
            `Cannot enhance as the pyramid's levels must line up, as they do for heights and ` +
              `widths that are multiples of ${2 ** (d + n)}: current shape is [${x.shape}]`,
          );
        }
        out = 2 * front;
      }
    }
  }

  /** (N, inputNc, H, W) -> (N, outputNc, H, W). */
  forward(x: Tensor): Tensor {
    if (x.shape.length === 4) this.#checkSize(x);
    const n = this.enhancers.length;
    const pyramid = [x];
    for (let i = 0; i < n; i++) pyramid.push(this.downsample.forward(pyramid[i]));
    let out = this.model.forward(pyramid[n]);
    pyramid[n].dispose();
    for (let i = 1; i <= n; i++) {
      const { front, back } = this.enhancers[i - 1];
      const level = pyramid[n - i];
      const features = front.forward(level);
      if (level !== x) level.dispose();
      const sum = add(features, out);
      features.dispose(), out.dispose();
      out = back.forward(sum);
      sum.dispose();
    }
    return out;
  }
}

/**
 * pix2pixHD's global generator: a 7×7 front end, strided downsampling, residual blocks,
 * transposed-convolution upsampling and a 7×7 tanh output.
 *
 * @module
 */

import {
  Conv2d,
  ConvTranspose2d,
  Layer,
  ReflectionPad2d,
  ReLU,
  Sequential,
  Tanh,
} from "../../nn/layers.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { integerOption } from "./check.ts";
import { normLayer, type NormType } from "./norm.ts";
import { ResnetBlock } from "./resnet_block.ts";

/** Options of {@linkcode GlobalGenerator}, with the defaults of pix2pixHD's class. */
export interface GlobalGeneratorOptions {
  /** Channels after the front end (default 64). */
  ngf?: number;
  /** Stride-2 downsamplings, each doubling the channels (default 3; `--n_downsample_global` 4). */
  nDownsampling?: number;
  /** Residual blocks at the bottom (default 9). */
  nBlocks?: number;
  /** The norm layers (default "instance"). */
  norm?: NormType;
}

/**
 * The layers of `GlobalGenerator.model`, in order (3·nDownsampling·2 + nBlocks + 7 of them):
 * ReflectionPad(3), Conv7×7 (in→ngf), Norm, ReLU; nDownsampling × [Conv3×3 s2 p1, Norm, ReLU];
 * nBlocks × ResnetBlock; nDownsampling × [ConvTranspose3×3 s2 p1 op1, Norm, ReLU];
 * ReflectionPad(3), Conv7×7 (ngf→out), Tanh.
 */
export function globalGeneratorLayers(
  inputNc: number,
  outputNc: number,
  options: GlobalGeneratorOptions = {},
): Layer[] {
  const ngf = integerOption("ngf", options.ngf ?? 64, 1);
  const nDown = integerOption("nDownsampling", options.nDownsampling ?? 3, 0);
  const nBlocks = integerOption("nBlocks", options.nBlocks ?? 9, 0);
  const norm = options.norm ?? "instance";
  integerOption("inputNc", inputNc, 1), integerOption("outputNc", outputNc, 1);
  const layers: Layer[] = [
    new ReflectionPad2d(3),
    new Conv2d(inputNc, ngf, { kernelSize: 7 }),
    normLayer(norm, ngf),
    new ReLU(),
  ];
  for (let i = 0; i < nDown; i++) {
    const c = ngf * 2 ** i;
    layers.push(
      new Conv2d(c, 2 * c, { kernelSize: 3, stride: 2, padding: 1 }),
      normLayer(norm, 2 * c),
      new ReLU(),
    );
  }
  for (let i = 0; i < nBlocks; i++) layers.push(new ResnetBlock(ngf * 2 ** nDown, { norm }));
  for (let i = 0; i < nDown; i++) {
    const c = ngf * 2 ** (nDown - i);
    layers.push(
      new ConvTranspose2d(c, c / 2, { kernelSize: 3, stride: 2, padding: 1, outputPadding: 1 }),
      normLayer(norm, c / 2),
      new ReLU(),
    );
  }
  layers.push(new ReflectionPad2d(3), new Conv2d(ngf, outputNc, { kernelSize: 7 }), new Tanh());
  return layers;
}

/**
 * pix2pixHD's `GlobalGenerator` (`--netG global`): keys `model.1.*`, `model.4.*`, ...,
 * `model.<i>.conv_block.{1,5}.*` for the residual blocks. The output has the input's size when
 * its height and width are multiples of 2^nDownsampling, with values in [-1, 1].
 *
 * @example
 * ```ts ignore
 * const g = new GlobalGenerator(36, 3, { ngf: 64, nDownsampling: 4, nBlocks: 9 });
 * const image = noGrad(() => g.forward(input)); // (1, 36, 512, 1024) -> (1, 3, 512, 1024)
 * ```
 */
export class GlobalGenerator extends Layer {
  /** The whole network. */
  readonly model: Sequential;

  /** A generator from `inputNc` to `outputNc` channels. */
  constructor(inputNc: number, outputNc: number, options: GlobalGeneratorOptions = {}) {
    super();
    this.model = this.addModule(
      "model",
      new Sequential(globalGeneratorLayers(inputNc, outputNc, options)),
    );
  }

  /** (N, inputNc, H, W) -> (N, outputNc, H, W). */
  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }
}

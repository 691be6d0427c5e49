/**
 * The VGG19 feature extractor of pix2pixHD's perceptual loss: torchvision's `vgg19().features`
 * up to relu5_1 (indices 0 to 29, state_dict keys `features.N.weight` and `features.N.bias`),
 * frozen, returning the five slices' outputs relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1.
 * Weights load from a torchvision-layout checkpoint in any float dtype (float16 widens exactly);
 * compute is float32.
 *
 * @module
 */

import { openCheckpoint } from "../io/open_checkpoint.ts";
import type { TensorSource } from "../io/tensor_data.ts";
import { Conv2d, forwardPair, Layer, ReLU, Sequential } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { maxPool2d } from "../ops/max_pool2d.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** The slices [start, end) of `features` whose outputs the VGG loss compares. */
export const VGG19_SLICES: readonly (readonly [number, number])[] = Object.freeze(
  [
    [0, 2],
    [2, 7],
    [7, 12],
    [12, 21],
    [21, 30],
  ] as const,
);

/** torchvision's configuration "E" up to conv5_1: channels of each conv, "M" for a max pool. */
const CONFIG: readonly (number | "M")[] = [
  64,
  64,
  "M",
  128,
  128,
  "M",
  256,
  256,
  256,
  256,
  "M",
  512,
  512,
  512,
  512,
  "M",
  512,
];

/** `MaxPool2d(kernel_size=2, stride=2)`. */
class MaxPool2d extends Layer {
  forward(x: Tensor): Tensor {
    return maxPool2d(x, 2);
  }
}

function layers(): Layer[] {
  const out: Layer[] = [];
  let channels = 3;
  for (const c of CONFIG) {
    if (c === "M") out.push(new MaxPool2d());
    else out.push(new Conv2d(channels, c, { kernelSize: 3, padding: 1 }), new ReLU()), channels = c;
  }
  return out;
}

/**
 * VGG19's `features[0:30]`, frozen: its parameters never require a gradient, so a backward pass
 * through it computes input gradients only.
 *
 * @example The five feature maps of an image in [-1, 1]
 * ```ts ignore
 * const vgg = await loadVgg19("vgg19-dcbbe6f5.pth");
 * const [relu1, relu2, relu3, relu4, relu5] = vgg.forward(image); // (N, 3, H, W)
 * ```
 */
export class Vgg19 extends Module {
  /** torchvision's `features.0` ... `features.29`. */
  readonly features: Sequential;

  /** A VGG19 with zero weights; load them with {@linkcode Vgg19.loadStateDict}. */
  constructor() {
    super();
    this.features = this.addModule("features", new Sequential(layers()));
    for (const p of this.parameters()) p.requiresGrad = false;
  }

  /** (N, 3, H, W) -> relu1_1 (N, 64, H, W) ... relu5_1 (N, 512, H / 16, W / 16). */
  forward(x: Tensor): Tensor[] {
    const outputs: Tensor[] = [];
    let y = x;
    for (const [start, end] of VGG19_SLICES) {
      for (let i = start; i < end; i++) {
        // A convolution and its ReLU run as one op (never across a slice's end).
        const layers = this.features.layers;
        const first = i === start;
        let next = i + 1 < end ? forwardPair(layers[i], layers[i + 1], y) : null;
        if (next) i++;
        else next = layers[i].forward(y);
        if (y !== x && !first) y.dispose();
        y = next;
      }
      outputs.push(y);
    }
    return outputs;
  }
}

/** Keys of a full torchvision VGG19 checkpoint that the feature slices do not use. */
function unused(key: string): boolean {
  const m = /^features\.(\d+)\./.exec(key);
  return key.startsWith("classifier.") || (m !== null && Number(m[1]) >= 30);
}

/**
 * A {@linkcode Vgg19} loaded from a torchvision-layout checkpoint (`vgg19-dcbbe6f5.pth`, or one
 * holding only `features.{0,2,5,...,28}`). Keys past relu5_1 and the classifier are skipped;
 * any other missing, unexpected or mis-shaped key throws.
 */
export async function loadVgg19(path: string | URL): Promise<Vgg19> {
  using checkpoint = await openCheckpoint(path);
  const used = new Map<string, TensorSource>();
  for (const [key, t] of checkpoint.tensors) if (!unused(key)) used.set(key, t);
  const vgg = new Vgg19();
  try {
    await vgg.loadStateDict(used);
  } catch (error) {
    vgg.dispose();
    throw error;
  }
  return vgg;
}

/**
 * The layers pix2pixHD's networks are built from, as PyTorch's `torch.nn` modules of the same
 * names: parameters under PyTorch's keys, `forward(x)` on the ops of lib/ops. Parameters start at
 * zero (batch-norm weights at one); `initWeights` (init.ts) gives them pix2pixHD's random init.
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { avgPool2d, type AvgPool2dOptions, type Size2d } from "../ops/avg_pool2d.ts";
import { batchNorm2d } from "../ops/batch_norm2d.ts";
import { conv2d } from "../ops/conv2d.ts";
import { convTranspose2d } from "../ops/conv_transpose2d.ts";
import { leakyRelu, relu, sigmoid, tanh } from "../ops/elementwise.ts";
import { instanceNorm2d } from "../ops/instance_norm2d.ts";
import { type Padding2d, reflectionPad2d } from "../ops/reflection_pad2d.ts";
import { Tensor } from "../tensor/tensor.ts";
import countSrc from "./count.wgsl" with { type: "text" };
import { Module } from "./module.ts";

const COUNT = { name: "batch_norm2d.count", code: countSrc, entry: "count" };

/** A module with one input and one output. */
export abstract class Layer extends Module {
  /** Runs the layer. */
  abstract forward(x: Tensor): Tensor;
}

function positive(layer: string, what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(
      `Cannot make ${layer} as ${what} must be a positive integer: current value is ${v}`,
    );
  }
  return v;
}

function stride(layer: string, v: number): number {
  if (v !== 1 && v !== 2) {
    throw new RangeError(`Cannot make ${layer} as stride must be 1 or 2: current value is ${v}`);
  }
  return v;
}

function nonNegative(layer: string, what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) {
    throw new RangeError(
      `Cannot make ${layer} as ${what} must be a non-negative integer: current value is ${v}`,
    );
  }
  return v;
}

function filled(shape: readonly number[], value: number): Tensor {
  return Tensor.from(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape);
}

/** Options of {@linkcode Conv2d}. */
export interface Conv2dLayerOptions {
  /** The kernel's height and width. */
  kernelSize: number;
  /** 1 (default) or 2. */
  stride?: number;
  /** Zero padding on every side (default 0). */
  padding?: number;
  /** Whether the layer has a bias (default true, as every pix2pixHD convolution). */
  bias?: boolean;
}

/** PyTorch's `Conv2d`: `weight` (Cout, Cin, k, k) and `bias` (Cout). */
export class Conv2d extends Layer {
  /** (Cout, Cin, k, k). */
  readonly weight: Tensor;
  /** (Cout), or null without a bias. */
  readonly bias: Tensor | null;
  /** The stride. */
  readonly stride: number;
  /** The zero padding. */
  readonly padding: number;

  /** A convolution from `inChannels` to `outChannels`. */
  constructor(inChannels: number, outChannels: number, options: Conv2dLayerOptions) {
    super();
    const k = positive("Conv2d", "kernelSize", options.kernelSize);
    const cin = positive("Conv2d", "inChannels", inChannels);
    const shape = [positive("Conv2d", "outChannels", outChannels), cin, k, k];
    this.weight = this.addParameter("weight", filled(shape, 0));
    this.bias = options.bias ?? true ? this.addParameter("bias", filled([outChannels], 0)) : null;
    this.stride = stride("Conv2d", options.stride ?? 1);
    this.padding = nonNegative("Conv2d", "padding", options.padding ?? 0);
  }

  /** (N, Cin, H, W) -> (N, Cout, Ho, Wo). */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  /**
   * `act`'s forward of forward(x), in the convolution's own pass (what {@linkcode Sequential}
   * runs for a Conv2d and the ReLU or LeakyReLU of slope ≥ 0 after it).
   */
  forwardActivated(x: Tensor, act: ReLU | LeakyReLU): Tensor {
    return conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      activation: activationOf(act),
    });
  }

  /**
   * forward(reflectionPad2d(x, pad)) for a layer without padding of its own, with the mirrored
   * pixels read where they lie (what {@linkcode Sequential} runs for a ReflectionPad2d and the
   * Conv2d after it).
   */
  forwardReflectPadded(x: Tensor, pad: number): Tensor {
    if (this.padding !== 0) {
      throw new RangeError(
        `Cannot add reflection padding to a Conv2d as it pads by itself: current padding is ${this.padding}`,
      );
    }
    return conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: pad,
      paddingMode: "reflect",
    });
  }
}

/** Options of {@linkcode ConvTranspose2d}, with PyTorch's defaults. */
export interface ConvTranspose2dLayerOptions {
  /** The kernel's height and width. */
  kernelSize: number;
  /** 1 (default) or 2. */
  stride?: number;
  /** Rows and columns cut from every side of the full output (default 0). */
  padding?: number;
  /** Rows and columns added at the bottom and right, smaller than the stride (default 0). */
  outputPadding?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

/** PyTorch's `ConvTranspose2d`: `weight` (Cin, Cout, k, k) and `bias` (Cout). */
export class ConvTranspose2d extends Layer {
  /** (Cin, Cout, k, k). */
  readonly weight: Tensor;
  /** (Cout), or null without a bias. */
  readonly bias: Tensor | null;
  /** The stride. */
  readonly stride: number;
  /** The padding cut from the output. */
  readonly padding: number;
  /** The rows and columns added at the bottom and right. */
  readonly outputPadding: number;

  /** A transposed convolution from `inChannels` to `outChannels`. */
  constructor(inChannels: number, outChannels: number, options: ConvTranspose2dLayerOptions) {
    super();
    const k = positive("ConvTranspose2d", "kernelSize", options.kernelSize);
    const cout = positive("ConvTranspose2d", "outChannels", outChannels);
    const shape = [positive("ConvTranspose2d", "inChannels", inChannels), cout, k, k];
    this.weight = this.addParameter("weight", filled(shape, 0));
    this.bias = options.bias ?? true ? this.addParameter("bias", filled([outChannels], 0)) : null;
    this.stride = stride("ConvTranspose2d", options.stride ?? 1);
    this.padding = nonNegative("ConvTranspose2d", "padding", options.padding ?? 0);
    this.outputPadding = nonNegative(
      "ConvTranspose2d",
      "outputPadding",
      options.outputPadding ?? 0,
    );
    if (this.outputPadding >= this.stride) {
      throw new RangeError(
        `Cannot make ConvTranspose2d as outputPadding must be smaller than the stride ${this.stride}: current value is ${this.outputPadding}`,
      );
    }
  }

  /** (N, Cin, H, W) -> (N, Cout, Ho, Wo). */
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
    });
  }
}

/** Options of the norm layers. */
export interface NormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each batch in the running statistics (default 0.1; batch norm only). */
  momentum?: number;
}

/**
 * PyTorch's `BatchNorm2d(affine=True, track_running_stats=True)`: `weight` and `bias`
 * parameters, `running_mean`, `running_var` and `num_batches_tracked` (int32) buffers. Training
 * mode normalizes with the batch's statistics and updates the running ones; eval mode uses them.
 */
export class BatchNorm2d extends Layer {
  /** γ, (C), starting at one. */
  readonly weight: Tensor;
  /** β, (C), starting at zero. */
  readonly bias: Tensor;
  /** (C), starting at zero. */
  readonly runningMean: Tensor;
  /** (C), starting at one. */
  readonly runningVar: Tensor;
  /** The number of training-mode forward passes, a scalar. */
  readonly numBatchesTracked: Tensor;
  readonly #eps: number;
  readonly #momentum: number;

  /** A batch norm over `numFeatures` channels. */
  constructor(numFeatures: number, options: NormOptions = {}) {
    super();
    const c = positive("BatchNorm2d", "numFeatures", numFeatures);
    this.weight = this.addParameter("weight", filled([c], 1));
    this.bias = this.addParameter("bias", filled([c], 0));
    this.runningMean = this.addBuffer("running_mean", filled([c], 0));
    this.runningVar = this.addBuffer("running_var", filled([c], 1));
    this.numBatchesTracked = this.addBuffer(
      "num_batches_tracked",
      Tensor.from(new Int32Array(1), []),
    );
    this.#eps = options.eps ?? 1e-5;
    this.#momentum = options.momentum ?? 0.1;
  }

  /** (N, C, H, W) -> (N, C, H, W). */
  forward(x: Tensor): Tensor {
    const y = batchNorm2d(x, {
      weight: this.weight,
      bias: this.bias,
      training: this.training,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      momentum: this.#momentum,
      eps: this.#eps,
    });
    if (this.training) runtime().dispatch(COUNT, [this.numBatchesTracked.buffer], [1], [1]);
    return y;
  }
}

/** PyTorch's `InstanceNorm2d(affine=False)`: no parameters and no state_dict keys. */
export class InstanceNorm2d extends Layer {
  /** The number of channels the input must have. */
  readonly numFeatures: number;
  readonly #eps: number;

  /** An instance norm over `numFeatures` channels. */
  constructor(numFeatures: number, options: Pick<NormOptions, "eps"> = {}) {
    super();
    this.numFeatures = positive("InstanceNorm2d", "numFeatures", numFeatures);
    this.#eps = options.eps ?? 1e-5;
  }

  /** (N, C, H, W) -> (N, C, H, W). */
  forward(x: Tensor): Tensor {
    if (x.shape[1] !== this.numFeatures) {
      throw new TypeError(
        `Cannot normalize as the input must have ${this.numFeatures} channels: current shape is [${x.shape}]`,
      );
    }
    return instanceNorm2d(x, { eps: this.#eps });
  }

  /**
   * `act`'s forward of forward(x), in the norm's own passes (what {@linkcode Sequential} runs
   * for the norm and a ReLU or LeakyReLU after it).
   */
  forwardActivated(x: Tensor, act: ReLU | LeakyReLU): Tensor {
    if (x.shape[1] !== this.numFeatures) return this.forward(x); // throws the same error
    return instanceNorm2d(x, { eps: this.#eps, activation: activationOf(act) });
  }
}

/** PyTorch's `ReflectionPad2d`. */
export class ReflectionPad2d extends Layer {
  /** One size for all sides, or (left, right, top, bottom). */
  readonly padding: number | Padding2d;

  /** Pads by `padding` on every side, or (left, right, top, bottom). */
  constructor(padding: number | Padding2d) {
    super();
    this.padding = padding;
  }

  /** (N, C, H, W) -> (N, C, H + top + bottom, W + left + right). */
  forward(x: Tensor): Tensor {
    return reflectionPad2d(x, this.padding);
  }

  /**
   * The one size of all four sides, if `x` can be padded by it (smaller than its sides); else
   * null (unequal sides, or an input the padding refuses).
   */
  uniformFor(x: Tensor): number | null {
    const p = this.padding;
    const size = typeof p === "number" ? p : p.every((v) => v === p[0]) ? p[0] : null;
    if (size === null || !Number.isInteger(size) || size < 0 || x.shape.length !== 4) return null;
    return size < Math.min(x.shape[2], x.shape[3]) ? size : null;
  }
}

/** PyTorch's `ReLU`. */
export class ReLU extends Layer {
  /** max(x, 0). */
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** PyTorch's `LeakyReLU`. */
export class LeakyReLU extends Layer {
  /** The slope for negative inputs. */
  readonly negativeSlope: number;

  /** A leaky ReLU with the given negative slope (PyTorch's default 0.01; pix2pixHD uses 0.2). */
  constructor(negativeSlope = 0.01) {
    super();
    if (!Number.isFinite(negativeSlope)) {
      throw new RangeError(
        `Cannot make LeakyReLU as negativeSlope must be finite: current value is ${negativeSlope}`,
      );
    }
    this.negativeSlope = negativeSlope;
  }

  /** x for x > 0, else negativeSlope·x. */
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

/** PyTorch's `Tanh`. */
export class Tanh extends Layer {
  /** tanh(x). */
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** PyTorch's `Sigmoid`. */
export class Sigmoid extends Layer {
  /** 1 / (1 + e^-x). */
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** PyTorch's `AvgPool2d`. */
export class AvgPool2d extends Layer {
  /** The window size. */
  readonly kernelSize: Size2d;
  /** Stride, padding and the divisor's mode. */
  readonly options: Readonly<AvgPool2dOptions>;

  /** Averages over `kernelSize` windows (stride defaults to the kernel size, as PyTorch). */
  constructor(kernelSize: Size2d, options: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.options = Object.freeze({ ...options });
  }

  /** (N, C, H, W) -> (N, C, Ho, Wo). */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}

/** The activation option of the ops (`relu`, or a LeakyReLU's slope) for an activation layer. */
function activationOf(act: ReLU | LeakyReLU): "relu" | number {
  return act instanceof ReLU ? "relu" : act.negativeSlope;
}

/**
 * `after.forward(layer.forward(x))` as one op where the pair has one, else null: an instance norm
 * or a convolution and the ReLU or LeakyReLU (slope ≥ 0) after it, and a ReflectionPad2d (of
 * equal sides) and the Conv2d without padding after it.
 */
export function forwardPair(layer: Layer, after: Layer, x: Tensor): Tensor | null {
  const activation = after instanceof ReLU ||
    (after instanceof LeakyReLU && after.negativeSlope >= 0);
  if (activation && layer instanceof InstanceNorm2d) return layer.forwardActivated(x, after);
  if (activation && layer instanceof Conv2d) return layer.forwardActivated(x, after);
  if (layer instanceof ReflectionPad2d && after instanceof Conv2d && after.padding === 0) {
    const pad = layer.uniformFor(x);
    if (pad !== null) return after.forwardReflectPadded(x, pad);
  }
  return null;
}

/**
 * PyTorch's `Sequential`: children named "0", "1", ..., run in order. Each intermediate output
 * is let go as soon as the next layer has run (the autograd tape keeps what a backward pass
 * needs), so inference holds at most two activations at a time.
 */
export class Sequential extends Layer {
  /** The layers, in order. */
  readonly layers: readonly Layer[];

  /** Chains `layers`. */
  constructor(layers: readonly Layer[]) {
    super();
    layers.forEach((layer, i) => this.addModule(String(i), layer));
    this.layers = [...layers];
  }

  /** Runs every layer in turn; the pairs of {@linkcode forwardPair} run as one op. */
  forward(x: Tensor): Tensor {
    let y = x;
    try {
      for (let i = 0; i < this.layers.length; i++) {
        const layer = this.layers[i];
        const after = this.layers[i + 1];
        let next = after ? forwardPair(layer, after, y) : null;
        if (next) i++;
        else next = layer.forward(y);
        if (y !== x && next !== y) y.dispose();
        y = next;
      }
    } catch (error) {
      if (y !== x) y.dispose();
      throw error;
    }
    return y;
  }
}

/**
 * Modules with PyTorch's state_dict keys, the layers pix2pixHD is built from, and its weight
 * init.
 *
 * @example A convolution, initialized and run
 * ```ts ignore
 * import { Conv2d, initWeights, Sequential, ReLU } from "./mod.ts";
 * const net = initWeights(new Sequential([new Conv2d(3, 8, { kernelSize: 3 }), new ReLU()]), {
 *   seed: 1,
 * });
 * [...net.stateDict().keys()]; // ["0.weight", "0.bias"]
 * ```
 *
 * @module
 */
export { type LoadReport, type LoadStateDictOptions, type MisshapedKey, Module } from "./module.ts";
export {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  type Conv2dLayerOptions,
  ConvTranspose2d,
  type ConvTranspose2dLayerOptions,
  InstanceNorm2d,
  Layer,
  LeakyReLU,
  type NormOptions,
  ReflectionPad2d,
  ReLU,
  Sequential,
  Sigmoid,
  Tanh,
} from "./layers.ts";
export { initWeights, type InitWeightsOptions } from "./init.ts";

/**
 * Elementwise ops: activations, scaling, sums and products, each with its backward pass.
 *
 * @module
 */

import { record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import src from "./elementwise.wgsl" with { type: "text" };
import { copy, expectFloat, expectSameShape, f32bits, kernels, launch, share } from "./util.ts";

const K = kernels(
  "elementwise",
  src,
  [
    "relu",
    "relu_backward",
    "leaky_relu",
    "leaky_relu_backward",
    "tanh_forward",
    "tanh_backward",
    "sigmoid",
    "sigmoid_backward",
    "scale",
    "add",
    "mul",
  ] as const,
);

type Entry = keyof typeof K;

function unary(entry: Entry, x: Tensor, a = 0): Tensor {
  expectFloat(entry, x);
  const y = Tensor.empty(x.shape);
  launch(K[entry], [x.buffer, y.buffer], [x.size, f32bits(a)], x.size);
  return y;
}

function binary(entry: Entry, x: Tensor, z: Tensor, a = 0): Tensor {
  const y = Tensor.empty(x.shape);
  launch(K[entry], [x.buffer, z.buffer, y.buffer], [x.size, f32bits(a)], x.size);
  return y;
}

/**
 * max(x, 0).
 *
 * @example
 * ```ts ignore
 * const y = relu(x);
 * ```
 */
export function relu(x: Tensor): Tensor {
  const y = unary("relu", x);
  return record(y, "relu", [x], [x], (dy, [xs]) => [binary("relu_backward", xs, dy)]);
}

/** x for x > 0, else slope·x (pix2pixHD's discriminators use slope 0.2). */
export function leakyRelu(x: Tensor, slope = 0.2): Tensor {
  const y = unary("leaky_relu", x, slope);
  return record(y, "leaky_relu", [x], [x], (dy, [xs]) => [
    binary("leaky_relu_backward", xs, dy, slope),
  ]);
}

/**
 * The gradient through a ReLU (`relu`) or a LeakyReLU of negative slope ≥ 0 (a number), from its
 * output y: dy where y > 0, else 0 or slope·dy. Then y > 0 exactly where the input is, so this is
 * {@linkcode relu}'s or {@linkcode leakyRelu}'s backward, bit for bit. Records nothing.
 */
export function activationGrad(y: Tensor, dy: Tensor, act: "relu" | number): Tensor {
  return act === "relu"
    ? binary("relu_backward", y, dy)
    : binary("leaky_relu_backward", y, dy, act);
}

/** The hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  const y = unary("tanh_forward", x);
  return record(y, "tanh", [x], [y], (dy, [ys]) => [binary("tanh_backward", ys, dy)]);
}

/** The logistic function 1 / (1 + e^-x). */
export function sigmoid(x: Tensor): Tensor {
  const y = unary("sigmoid", x);
  return record(y, "sigmoid", [x], [y], (dy, [ys]) => [binary("sigmoid_backward", ys, dy)]);
}

/** a·x for a number a. */
export function scale(x: Tensor, a: number): Tensor {
  if (!Number.isFinite(a)) throw new RangeError(`Cannot scale by a non-finite number: ${a}`);
  const y = unary("scale", x, a);
  return record(y, "scale", [x], [], (dy) => [unary("scale", dy, a)]);
}

/** x + z, elementwise, for tensors of one shape. */
export function add(x: Tensor, z: Tensor): Tensor {
  expectFloat("add", x), expectFloat("add", z), expectSameShape("add", x, z);
  const y = binary("add", x, z, 1);
  return record(y, "add", [x, z], [], (dy) => [share(dy), copy(dy)]);
}

/** x - z, elementwise, for tensors of one shape. */
export function sub(x: Tensor, z: Tensor): Tensor {
  expectFloat("sub", x), expectFloat("sub", z), expectSameShape("subtract", x, z);
  const y = binary("add", x, z, -1);
  return record(y, "sub", [x, z], [], (dy) => [share(dy), unary("scale", dy, -1)]);
}

/** x · z, elementwise, for tensors of one shape. */
export function mul(x: Tensor, z: Tensor): Tensor {
  expectFloat("mul", x), expectFloat("mul", z), expectSameShape("multiply", x, z);
  const y = binary("mul", x, z);
  return record(y, "mul", [x, z], [x, z], (dy, [xs, zs]) => [
    x.requiresGrad ? binary("mul", dy, zs) : null,
    z.requiresGrad ? binary("mul", dy, xs) : null,
  ]);
}

/**
 * Small helpers shared by the ops: kernel records and flat 1D launches.
 *
 * @module
 */

import { f32bits, type Kernel, runtime } from "../gpu/kernel.ts";
import { Tensor } from "../tensor/tensor.ts";

export { f32bits };

/**
 * The parameter words of an activation a kernel applies in its own pass (`activate` in
 * shaders/gather_epilogue.wgsl): its code (0 none, 1 ReLU, 2 LeakyReLU) and the bits of its
 * negative slope.
 */
export function activationParams(act: "relu" | number | null): [number, number] {
  return act === null ? [0, 0] : act === "relu" ? [1, 0] : [2, f32bits(act)];
}

/** The kernels of one WGSL file, by entry point. */
export function kernels<E extends string>(
  name: string,
  code: string,
  entries: readonly E[],
): Record<E, Kernel> {
  const out = {} as Record<E, Kernel>;
  for (const entry of entries) out[entry] = { name: `${name}.${entry}`, code, entry };
  return out;
}

/** Dispatches a kernel with one thread per element over a 2D grid of 256-thread workgroups. */
export function launch(
  kernel: Kernel,
  buffers: readonly GPUBuffer[],
  params: readonly number[],
  n: number,
  threadsPerGroup = 256,
): void {
  const rt = runtime();
  rt.dispatch(kernel, buffers, params, rt.grid(Math.ceil(n / threadsPerGroup)));
}

/** Throws a TypeError unless the tensor is float32. */
export function expectFloat(what: string, t: Tensor): void {
  if (t.dtype !== "float32") {
    throw new TypeError(`Cannot use ${what} as it must be float32: current dtype is ${t.dtype}`);
  }
}

/** Throws a TypeError unless the tensor is 4D (N, C, H, W). */
export function expect4d(what: string, t: Tensor): void {
  if (t.shape.length !== 4) {
    throw new TypeError(
      `Cannot use ${what} as it must be 4D (N, C, H, W): current shape is [${t.shape}]`,
    );
  }
}

/** Throws a TypeError unless the two tensors have the same shape. */
export function expectSameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new TypeError(
      `Cannot ${op} tensors of different shapes: current shapes are [${a.shape}] and [${b.shape}]`,
    );
  }
}

/** A copy of a tensor in a buffer of its own. */
export function copy(t: Tensor): Tensor {
  const y = Tensor.empty(t.shape, t.dtype);
  runtime().copy(t.buffer, 0, y.buffer, 0, t.size * 4);
  return y;
}

/** A new handle on the same buffer (for passing a gradient through unchanged). */
export function share(t: Tensor): Tensor {
  return new Tensor(t.storage.retain(), t.shape, t.dtype);
}

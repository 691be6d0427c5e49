/**
 * The tensor: a shape, a dtype and a GPU buffer in PyTorch's contiguous NCHW order. Buffers come
 * from the runtime's pool and go back to it when the last holder lets go: the user (through
 * {@linkcode Tensor.dispose} or {@linkcode tidy}) and the autograd tape (which holds what a
 * backward pass still needs).
 *
 * @module
 */

import { runtime } from "../gpu/kernel.ts";
import { backward } from "./autograd.ts";

/** Element types: float32 for data, int32 for label and instance maps. */
export type DType = "float32" | "int32";

/** A GPU buffer shared by a tensor and its views, freed when the last holder releases it. */
export class Storage {
  /** The buffer. */
  readonly buffer: GPUBuffer;
  #refs = 1;

  /** Holds `buffer` with one reference. */
  constructor(buffer: GPUBuffer) {
    this.buffer = buffer;
  }

  /** Adds a holder. */
  retain(): this {
    this.#refs++;
    return this;
  }

  /** Drops a holder; the buffer goes back to the pool with the last one. */
  release(): void {
    if (--this.#refs === 0) runtime().pool.release(this.buffer);
  }
}

/** An autograd record: how to turn the gradient of `output` into the gradients of `inputs`. */
export interface Node {
  /** The op's name, for errors and traces. */
  readonly name: string;
  /** The op's inputs, in order. */
  readonly inputs: readonly Tensor[];
  /**
   * Returns one gradient per input (null where the input needs none). Runs without grad. `into`
   * holds, per input, the gradient accumulated for it so far (null if none): an op may add its
   * gradient into that tensor in place, in the pass that computes it, and return that same
   * tensor, which saves the separate accumulation.
   */
  backward(
    dy: Tensor,
    saved: readonly Tensor[],
    into: readonly (Tensor | null)[],
  ): (Tensor | null)[];
  /** Tensors held for the backward pass (sharing the op's buffers), disposed once it ran. */
  readonly saved: Tensor[];
  /** The tensor the op made. */
  readonly output: Tensor;
  /** Set once the backward pass ran and the saved tensors were freed. */
  released?: boolean;
}

/** Checks a shape and returns its element count. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(
        `Cannot make a tensor as every dimension must be a non-negative integer: current shape is [${shape}]`,
      );
    }
    n *= d;
  }
  return n;
}

const scopes: Set<Tensor>[] = [];

/** A float32 or int32 array on the GPU. */
export class Tensor {
  /** The shape, outermost first. */
  readonly shape: readonly number[];
  /** The element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Whether backward passes fill {@linkcode Tensor.grad}. */
  requiresGrad = false;
  /** The accumulated gradient, for tensors that require one and were made by no op. */
  grad: Tensor | null = null;
  /** The op that made this tensor, while its backward pass is pending. */
  node: Node | null = null;
  #storage: Storage | null;

  /** Wraps a storage (taking over one reference) as a tensor of the given shape. */
  constructor(storage: Storage, shape: readonly number[], dtype: DType = "float32") {
    this.size = numel(shape);
    const limit = runtime().gpu.limits.maxStorageBufferBindingSize;
    if (this.size * 4 > limit) {
      storage.release();
      throw new RangeError(
        `Cannot make a tensor of shape [${shape}] as it needs ${
          this.size * 4
        } bytes and the device's maxStorageBufferBindingSize is ${limit}`,
      );
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.#storage = storage;
    scopes.at(-1)?.add(this);
  }

  /** An uninitialised tensor with a fresh buffer. */
  static empty(shape: readonly number[], dtype: DType = "float32"): Tensor {
    const size = numel(shape);
    const limit = runtime().gpu.limits.maxStorageBufferBindingSize;
    if (size * 4 > limit) {
      throw new RangeError(
        `Cannot make a tensor of shape [${shape}] as it needs ${
          size * 4
        } bytes and the device's maxStorageBufferBindingSize is ${limit}`,
      );
    }
    const storage = new Storage(runtime().pool.acquire(Math.max(4, size * 4)));
    return new Tensor(storage, shape, dtype);
  }

  /** A tensor holding a copy of `data` (float32 unless `data` is an Int32Array). */
  static from(data: ArrayLike<number>, shape: readonly number[]): Tensor {
    const size = numel(shape);
    if (data.length !== size) {
      throw new RangeError(
        `Cannot make a tensor of shape [${shape}] as it needs ${size} values: current value is ${data.length}`,
      );
    }
    const int = data instanceof Int32Array;
    const t = Tensor.empty(shape, int ? "int32" : "float32");
    const view = int ? data : data instanceof Float32Array ? data : Float32Array.from(data);
    if (size > 0) runtime().write(t.buffer, view);
    return t;
  }

  /** The GPU buffer (its size may exceed `size * 4`). */
  get buffer(): GPUBuffer {
    if (!this.#storage) throw new Error("Cannot use a tensor after dispose()");
    return this.#storage.buffer;
  }

  /** The storage, for ops that save it for their backward pass or make views of it. */
  get storage(): Storage {
    if (!this.#storage) throw new Error("Cannot use a tensor after dispose()");
    return this.#storage;
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.#storage === null;
  }

  /** A tensor sharing this one's buffer with another shape of the same size. */
  reshape(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.size) {
      throw new RangeError(
        `Cannot reshape [${this.shape}] to [${shape}] as the sizes differ: current value is ${
          numel(shape)
        } elements for ${this.size}`,
      );
    }
    return new Tensor(this.storage.retain(), shape, this.dtype);
  }

  /** Drops this tensor's hold on its buffer (and its gradient). Safe to call twice. */
  dispose(): void {
    this.#storage?.release();
    this.#storage = null;
    this.grad?.dispose();
    this.grad = null;
    for (const scope of scopes) scope.delete(this);
  }

  /** Copies the values to the CPU. */
  async data(): Promise<Float32Array | Int32Array> {
    const bytes = await runtime().read(this.buffer, this.size * 4);
    return this.dtype === "int32" ? new Int32Array(bytes) : new Float32Array(bytes);
  }

  /** Copies float32 values to the CPU. */
  async floats(): Promise<Float32Array> {
    if (this.dtype !== "float32") {
      throw new TypeError(`Cannot read floats of a tensor as its dtype is ${this.dtype}`);
    }
    return new Float32Array(await runtime().read(this.buffer, this.size * 4));
  }

  /** Checks the shape, naming what was expected. */
  expectShape(what: string, shape: readonly (number | null)[]): void {
    const ok = shape.length === this.shape.length &&
      shape.every((d, i) => d === null || d === this.shape[i]);
    if (!ok) {
      const want = shape.map((d) => d ?? "*").join(", ");
      throw new TypeError(
        `Cannot use ${what} as its shape must be [${want}]: current value is [${this.shape}]`,
      );
    }
  }

  /** A tensor sharing this one's buffer, cut from the autograd graph. */
  detach(): Tensor {
    return new Tensor(this.storage.retain(), this.shape, this.dtype);
  }

  /**
   * Back-propagates from this one-element tensor (or from any tensor given its gradient `dy`),
   * filling `.grad` of every leaf that requires one.
   */
  backward(dy?: Tensor): void {
    backward(this, dy);
  }

  /** Keeps this tensor alive past the end of the enclosing {@linkcode tidy} scopes. */
  keep(): this {
    for (const scope of scopes) scope.delete(this);
    return this;
  }
}

/** A value that may hold tensors, returned from {@linkcode tidy}. */
export type TensorContainer =
  | Tensor
  | void
  | undefined
  | null
  | number
  | string
  | readonly TensorContainer[]
  | { readonly [key: string]: TensorContainer };

function collect(value: TensorContainer, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) { for (const v of value) collect(v, into); }
  else if (value && typeof value === "object") {
    for (const v of Object.values(value)) collect(v as TensorContainer, into);
  }
}

/**
 * Runs `fn` and disposes every tensor it made except those it returns (which move to the
 * enclosing scope). Buffers the autograd tape still needs stay alive until the backward pass.
 *
 * @example
 * ```ts ignore
 * const y = tidy(() => relu(add(a, b))); // the sum is freed, y is kept
 * ```
 */
export function tidy<T extends TensorContainer>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  const kept = new Set<Tensor>();
  try {
    const result = fn();
    collect(result, kept);
    return result;
  } finally {
    scopes.pop();
    for (const t of scope) {
      if (kept.has(t)) scopes.at(-1)?.add(t);
      else t.dispose();
    }
  }
}

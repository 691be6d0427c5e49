/**
 * Plain CPU tensors as checkpoints hold them: a dtype, a shape and a contiguous row-major typed
 * array. Independent of the GPU `Tensor`.
 *
 * @module
 */
import { dtypeSize, type HostDType, type TypedArrayOf } from "./dtype.ts";

/** A contiguous, row-major CPU tensor. */
export type TensorData<D extends HostDType = HostDType> = D extends HostDType ? {
    /** Element type. */
    readonly dtype: D;
    /** Size of each dimension; `[]` for a scalar. */
    readonly shape: readonly number[];
    /** The elements in row-major order (`float16`/`bfloat16` as raw bits). */
    readonly data: TypedArrayOf[D];
  }
  : never;

/** A tensor whose dtype and shape are known and whose data is read on demand. */
export interface LazyTensor {
  /** Element type. */
  readonly dtype: HostDType;
  /** Size of each dimension; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Reads the data (each call reads it again). */
  read(): Promise<TensorData>;
}

/** Tensors by state_dict key, in file order. */
export type StateDict = Map<string, TensorData>;

/** What the writers accept for each key: a tensor in memory, or one read when its turn comes. */
export type TensorSource = TensorData | LazyTensor;

/**
 * Number of elements of a shape.
 *
 * @example Usage
 * ```ts
 * import { numel } from "./tensor_data.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(numel([2, 3, 4]), 24);
 * equal(numel([]), 1);
 * ```
 */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Checks a tensor source before it is written: a known dtype and a shape of non-negative integers
 * and, for data in memory, an array of the dtype's class whose length matches the shape.
 *
 * @example Usage
 * ```ts
 * import { checkTensorSource } from "./tensor_data.ts";
 * import { throws } from "node:assert/strict";
 *
 * checkTensorSource("w", { dtype: "float32", shape: [2], data: new Float32Array(2) });
 * throws(() => checkTensorSource("w", { dtype: "float32", shape: [3], data: new Float32Array(2) }));
 * ```
 */
export function checkTensorSource(name: string, tensor: TensorSource): void {
  const expected = ARRAY_NAME[tensor.dtype];
  if (!Object.hasOwn(ARRAY_NAME, tensor.dtype)) {
    throw new TypeError(
      `Cannot use tensor '${name}' as its dtype is unsupported: current value is ${tensor.dtype}`,
    );
  }
  if (
    !Array.isArray(tensor.shape) || !tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)
  ) {
    throw new RangeError(
      `Cannot use tensor '${name}' as its shape must hold non-negative integers: current value is [${tensor.shape}]`,
    );
  }
  if (isLazy(tensor)) return;
  if (tensor.data?.constructor?.name !== expected) {
    throw new TypeError(
      `Cannot use tensor '${name}' as ${tensor.dtype} data must be a ${expected}: current value is ${tensor.data?.constructor?.name}`,
    );
  }
  if (tensor.data.byteLength !== numel(tensor.shape) * dtypeSize(tensor.dtype)) {
    throw new RangeError(
      `Cannot use tensor '${name}' as its data does not match its shape [${tensor.shape}]: current value is ${tensor.data.length} elements`,
    );
  }
}

const ARRAY_NAME: Record<HostDType, string> = {
  float32: "Float32Array",
  float64: "Float64Array",
  float16: "Uint16Array",
  bfloat16: "Uint16Array",
  int64: "BigInt64Array",
  int32: "Int32Array",
  int16: "Int16Array",
  int8: "Int8Array",
  uint8: "Uint8Array",
  bool: "Uint8Array",
};

/**
 * Tells whether a tensor source is a {@linkcode LazyTensor} rather than data in memory.
 *
 * @example Usage
 * ```ts
 * import { isLazy } from "./tensor_data.ts";
 * import { ok } from "node:assert/strict";
 *
 * ok(!isLazy({ dtype: "uint8", shape: [1], data: new Uint8Array(1) }));
 * ```
 */
export function isLazy(source: TensorSource): source is LazyTensor {
  return typeof (source as LazyTensor).read === "function";
}

/**
 * The data of a tensor source (reading it if lazy), checked against the dtype and shape it
 * declared.
 *
 * @example Usage
 * ```ts
 * import { type LazyTensor, readSource, type TensorData } from "./tensor_data.ts";
 * import { rejects } from "node:assert/strict";
 *
 * const three: TensorData = { dtype: "float32", shape: [3], data: new Float32Array(3) };
 * const liar: LazyTensor = { dtype: "float32", shape: [2], read: () => Promise.resolve(three) };
 * await rejects(readSource("w", liar), TypeError);
 * ```
 */
export async function readSource(key: string, source: TensorSource): Promise<TensorData> {
  const tensor = isLazy(source) ? await source.read() : source;
  checkTensorSource(key, tensor);
  if (tensor.dtype !== source.dtype || tensor.shape.join() !== source.shape.join()) {
    throw new TypeError(
      `Cannot save tensor '${key}' as its data does not match its declared ${source.dtype} [${source.shape}]: current value is ${tensor.dtype} [${tensor.shape}]`,
    );
  }
  return tensor;
}

/**
 * Element types a checkpoint tensor can hold, their sizes and the typed array each one is read
 * into.
 *
 * @module
 */

/** Element types understood by the readers and writers in `lib/io`. */
export type HostDType =
  | "float32"
  | "float64"
  | "float16"
  | "bfloat16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

/**
 * The typed array that holds the elements of each dtype. `float16` and `bfloat16` hold raw
 * 16-bit patterns (see `toFloat32`), `bool` holds one byte per element (0 or 1).
 */
export interface TypedArrayOf {
  /** IEEE single precision. */
  float32: Float32Array;
  /** IEEE double precision. */
  float64: Float64Array;
  /** IEEE half precision, as raw bits. */
  float16: Uint16Array;
  /** Brain float (the top half of a float32), as raw bits. */
  bfloat16: Uint16Array;
  /** Signed 64-bit integers. */
  int64: BigInt64Array;
  /** Signed 32-bit integers. */
  int32: Int32Array;
  /** Signed 16-bit integers. */
  int16: Int16Array;
  /** Signed 8-bit integers. */
  int8: Int8Array;
  /** Unsigned bytes. */
  uint8: Uint8Array;
  /** One byte per element, 0 or 1. */
  bool: Uint8Array;
}

/** Any of the typed arrays in {@linkcode TypedArrayOf}. */
export type TensorArray = TypedArrayOf[HostDType];

type ArrayClass = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TensorArray;
  new (length: number): TensorArray;
  BYTES_PER_ELEMENT: number;
};

const ARRAY_CLASS: Record<HostDType, ArrayClass> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Every supported dtype, in a fixed order. */
export const HOST_DTYPES: readonly HostDType[] = Object.freeze(
  Object.keys(ARRAY_CLASS) as HostDType[],
);

/**
 * Tells whether a string names a supported dtype.
 *
 * @example Usage
 * ```ts
 * import { isHostDType } from "./dtype.ts";
 * import { ok } from "node:assert/strict";
 *
 * ok(isHostDType("bfloat16"));
 * ok(!isHostDType("complex64"));
 * ```
 */
export function isHostDType(name: string): name is HostDType {
  return Object.hasOwn(ARRAY_CLASS, name);
}

/**
 * Bytes per element of a dtype.
 *
 * @example Usage
 * ```ts
 * import { dtypeSize } from "./dtype.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(dtypeSize("bfloat16"), 2);
 * equal(dtypeSize("int64"), 8);
 * ```
 */
export function dtypeSize(dtype: HostDType): number {
  return ARRAY_CLASS[dtype].BYTES_PER_ELEMENT;
}

/**
 * Views `length` elements of `dtype` stored in `bytes`, without copying when `bytes` is aligned
 * for the dtype and copying into a fresh array when it is not.
 *
 * @example Usage
 * ```ts
 * import { viewAs } from "./dtype.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const bytes = new Uint8Array([0, 0, 128, 63, 0, 0, 0, 64]);
 * deepEqual(viewAs("float32", bytes), new Float32Array([1, 2]));
 * ```
 */
export function viewAs<D extends HostDType>(dtype: D, bytes: Uint8Array): TypedArrayOf[D] {
  const size = dtypeSize(dtype);
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(
      `Cannot view bytes as ${dtype} as their length is not a multiple of ${size}: current value is ${bytes.byteLength}`,
    );
  }
  let source = bytes;
  if (bytes.byteOffset % size !== 0 || !(bytes.buffer instanceof ArrayBuffer)) {
    source = bytes.slice();
  }
  const Class = ARRAY_CLASS[dtype];
  return new Class(
    source.buffer as ArrayBuffer,
    source.byteOffset,
    source.byteLength / size,
  ) as TypedArrayOf[D];
}

/**
 * A zero-filled array of `length` elements of `dtype`.
 *
 * @example Usage
 * ```ts
 * import { allocate } from "./dtype.ts";
 * import { ok } from "node:assert/strict";
 *
 * ok(allocate("int64", 3) instanceof BigInt64Array);
 * ```
 */
export function allocate<D extends HostDType>(dtype: D, length: number): TypedArrayOf[D] {
  return new ARRAY_CLASS[dtype](length) as TypedArrayOf[D];
}

/**
 * The bytes behind a typed array (a view, not a copy).
 *
 * @example Usage
 * ```ts
 * import { bytesOf } from "./dtype.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(bytesOf(new Float64Array(2)).byteLength, 16);
 * ```
 */
export function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

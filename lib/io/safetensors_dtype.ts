/**
 * The dtype names of the safetensors header.
 *
 * @module
 */
import type { HostDType } from "./dtype.ts";

/** The safetensors name of each dtype. */
export const SAFETENSORS_DTYPE: Readonly<Record<HostDType, string>> = {
  float32: "F32",
  float64: "F64",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};

const FROM_NAME = new Map(
  Object.entries(SAFETENSORS_DTYPE).map(([dtype, name]) => [name, dtype as HostDType]),
);

/**
 * The dtype of a safetensors dtype name, or undefined for one this reader lacks (F8_E4M3, U32...).
 *
 * @example Usage
 * ```ts
 * import { dtypeOfSafetensors } from "./safetensors_dtype.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(dtypeOfSafetensors("BF16"), "bfloat16");
 * equal(dtypeOfSafetensors("C64"), undefined);
 * ```
 */
export function dtypeOfSafetensors(name: string): HostDType | undefined {
  return FROM_NAME.get(name);
}

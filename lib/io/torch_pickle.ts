/**
 * The part of `torch.save`'s pickle that both file formats share: the few globals a state_dict
 * names (OrderedDict, the tensor rebuild functions, the storage classes), tensor records, and the
 * flattening of nested dicts into dotted keys.
 *
 * @module
 */
import type { HostDType } from "./dtype.ts";
import { PyCallable, PyDict } from "./pickle.ts";

/** PyTorch's storage class for each dtype, as `torch.save` names it. */
export const STORAGE_CLASS: Readonly<Record<HostDType, string>> = {
  float32: "FloatStorage",
  float64: "DoubleStorage",
  float16: "HalfStorage",
  bfloat16: "BFloat16Storage",
  int64: "LongStorage",
  int32: "IntStorage",
  int16: "ShortStorage",
  int8: "CharStorage",
  uint8: "ByteStorage",
  bool: "BoolStorage",
};

const DTYPE_OF_CLASS = new Map(
  Object.entries(STORAGE_CLASS).map(([dtype, name]) => [name, dtype as HostDType]),
);

/** A storage class named by a pickle; `dtype` is undefined for storages this reader lacks. */
export class StorageClass extends PyCallable {
  /** Element type, or undefined for an unsupported one (complex, quantized, untyped...). */
  readonly dtype: HostDType | undefined;

  /** The storage class `name` (such as `torch.FloatStorage`). */
  constructor(name: string, dtype: HostDType | undefined) {
    super(name, () => {
      throw new TypeError(
        `Cannot call storage class ${name} as it is not a callable: current value is ${name}`,
      );
    });
    this.dtype = dtype;
  }
}

/** A storage named by a persistent id: where its bytes are is up to the file format. */
export interface StorageRef {
  /** Key of the storage in the file. */
  readonly key: string;
  /** Python name of its class, for error messages. */
  readonly className: string;
  /** Element type, undefined when unsupported. */
  readonly dtype: HostDType | undefined;
  /** Elements in the storage. */
  readonly numel: number;
  /** Elements before the storage's first element in its root storage (legacy views). */
  readonly rootOffset: number;
}

/** A tensor as the pickle describes it: a view of a storage. */
export class TensorRef {
  /** The storage it views. */
  readonly storage: StorageRef;
  /** Elements of the storage before its first element. */
  readonly offset: number;
  /** Size of each dimension. */
  readonly shape: readonly number[];
  /** Step in elements along each dimension. */
  readonly stride: readonly number[];

  /** A view of `storage`. */
  constructor(
    storage: StorageRef,
    offset: number,
    shape: readonly number[],
    stride: readonly number[],
  ) {
    this.storage = storage;
    this.offset = offset;
    this.shape = shape;
    this.stride = stride;
  }
}

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function rebuildTensor(what: string, name: string, args: unknown[]): TensorRef {
  const [storage, offset, shape, stride] = args;
  if (
    typeof storage !== "object" || storage === null || !("key" in storage) || !isIndex(offset) ||
    !Array.isArray(shape) || !Array.isArray(stride) || shape.length !== stride.length ||
    !shape.every(isIndex) || !stride.every(isIndex)
  ) {
    throw new SyntaxError(
      `Cannot unpickle ${what} as ${name} has malformed arguments: current value is offset ${offset}, shape ${
        JSON.stringify(shape)
      }, stride ${JSON.stringify(stride)}`,
    );
  }
  return new TensorRef(storage as StorageRef, offset, shape, stride);
}

/**
 * The global resolver for `torch.save` pickles: OrderedDict, `torch._utils._rebuild_tensor`,
 * `_rebuild_tensor_v2`, `_rebuild_parameter` and the storage classes (`torch.*Storage`,
 * `torch.cuda.*Storage`). Anything else is refused with a `TypeError` naming it.
 *
 * @example Usage
 * ```ts
 * import { torchGlobals } from "./torch_pickle.ts";
 * import { throws } from "node:assert/strict";
 *
 * const findGlobal = torchGlobals("'x.pth'");
 * findGlobal("collections", "OrderedDict");
 * throws(() => findGlobal("builtins", "eval"), /builtins\.eval/);
 * ```
 */
export function torchGlobals(what: string): (module: string, name: string) => PyCallable {
  return (module, name) => {
    const full = `${module}.${name}`;
    if (full === "collections.OrderedDict") {
      return new PyCallable(full, (args) => {
        const dict = new PyDict();
        const [items] = args;
        if (Array.isArray(items)) {
          for (const pair of items) if (Array.isArray(pair)) dict.set(pair[0], pair[1]);
        }
        return dict;
      });
    }
    if (full === "torch._utils._rebuild_tensor_v2" || full === "torch._utils._rebuild_tensor") {
      return new PyCallable(full, (args) => rebuildTensor(what, full, args));
    }
    if (full === "torch._utils._rebuild_parameter") {
      return new PyCallable(full, ([data]) => {
        if (!(data instanceof TensorRef)) {
          throw new SyntaxError(
            `Cannot unpickle ${what} as ${full} has no tensor: current value is ${typeof data}`,
          );
        }
        return data;
      });
    }
    if ((module === "torch" || module === "torch.cuda") && name.endsWith("Storage")) {
      return new StorageClass(full, DTYPE_OF_CLASS.get(name));
    }
    throw new TypeError(
      `Cannot unpickle ${what} as it names a global outside the torch.save subset (loading never runs code): current value is ${full}`,
    );
  };
}

/** Tensors and other values of a checkpoint, by dotted key. */
export interface Flattened {
  /** Tensors by dotted key, in pickle order. */
  tensors: Map<string, TensorRef>;
  /** Every other leaf (numbers, strings, lists without tensors...) by dotted key. */
  values: Map<string, unknown>;
}

function holdsTensor(value: unknown): boolean {
  if (value instanceof TensorRef) return true;
  if (Array.isArray(value)) return value.some(holdsTensor);
  if (value instanceof Map) return [...value.values()].some(holdsTensor);
  return false;
}

/**
 * Flattens the unpickled root of a checkpoint (a dict, possibly of nested dicts and lists of
 * tensors) into dotted keys, as `state_dict` names them.
 *
 * @example Usage
 * ```ts
 * import { flattenCheckpoint } from "./torch_pickle.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const root = new Map<unknown, unknown>([["epoch", 3], ["net", new Map([["lr", 0.1]])]]);
 * deepEqual([...flattenCheckpoint(root, "x").values], [["epoch", 3], ["net.lr", 0.1]]);
 * ```
 */
export function flattenCheckpoint(root: unknown, what: string): Flattened {
  if (!(root instanceof Map)) {
    throw new TypeError(
      `Cannot read ${what} as a state_dict as its top level is not a dict: current value is ${
        root instanceof TensorRef ? "a tensor" : Array.isArray(root) ? "a list" : typeof root
      }`,
    );
  }
  const out: Flattened = { tensors: new Map(), values: new Map() };
  const visit = (prefix: string, value: unknown): void => {
    if (prefix !== "" && (out.tensors.has(prefix) || out.values.has(prefix))) {
      throw new SyntaxError(
        `Cannot read ${what} as two entries flatten to one key: current value is '${prefix}'`,
      );
    }
    if (value instanceof TensorRef) {
      out.tensors.set(prefix, value);
    } else if (value instanceof Map && (value.size > 0 || prefix === "")) {
      for (const [k, v] of value) visit(prefix === "" ? String(k) : `${prefix}.${k}`, v);
    } else if (Array.isArray(value) && holdsTensor(value)) {
      value.forEach((v, i) => visit(`${prefix}.${i}`, v));
    } else {
      out.values.set(prefix, value);
    }
  };
  visit("", root);
  return out;
}

/**
 * The part of `torch.save`'s pickle that both file formats share: the few globals a state_dict
 * names (OrderedDict, the tensor rebuild functions, the storage classes), tensor records, and the
 * flattening of nested dicts into dotted keys.
 *
 * @module
 */
import type { HostDType } from "./dtype.ts";
import { MAX_PICKLE_DEPTH } from "./pickle.ts";
import { PyCallable, PyDict } from "./py_objects.ts";
import { pyRepr } from "./py_repr.ts";

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
      `Cannot unpickle ${what} as ${name} has malformed arguments: current value is offset ${
        pyRepr(offset, 40)
      }, shape ${pyRepr(shape, 100)}, stride ${pyRepr(stride, 100)}`,
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

/**
 * The most characters a checkpoint's flattened keys may take in all: 64 Mi, hundreds of times
 * what a state_dict of 100,000 tensors needs. Keys repeat their parents' keys, so a long key
 * shared by many entries could otherwise take memory far beyond the pickle's size.
 */
export const MAX_KEY_CHARACTERS = 64 * 1024 * 1024;

/**
 * The lists and dicts from which a tensor can be reached through list items and dict values,
 * found by walking each container once and then going back up from the tensors' holders.
 */
function tensorHolders(root: unknown): Set<object> {
  const holders = new Set<object>();
  const parents = new Map<object, object[]>();
  const found: object[] = [];
  const todo: object[] = [];
  const seen = new Set<object>();
  const reach = (child: object, parent?: object) => {
    if (parent) {
      const known = parents.get(child);
      if (known) known.push(parent);
      else parents.set(child, [parent]);
    }
    if (!seen.has(child)) {
      seen.add(child);
      todo.push(child);
    }
  };
  if (Array.isArray(root) || root instanceof Map) reach(root);
  while (todo.length > 0) {
    const node = todo.pop()!;
    for (const child of Array.isArray(node) ? node : (node as Map<unknown, unknown>).values()) {
      if (child instanceof TensorRef) {
        if (!holders.has(node)) {
          holders.add(node);
          found.push(node);
        }
      } else if (Array.isArray(child) || child instanceof Map) {
        reach(child, node);
      }
    }
  }
  while (found.length > 0) {
    for (const parent of parents.get(found.pop()!) ?? []) {
      if (!holders.has(parent)) {
        holders.add(parent);
        found.push(parent);
      }
    }
  }
  return holders;
}

/** A dict key as a segment of a dotted key: strings as they are, other keys as Python writes them. */
function segmentOf(key: unknown): string {
  if (typeof key === "string") return key;
  if (typeof key === "number" || typeof key === "bigint" || typeof key === "boolean") {
    return String(key);
  }
  return key === null ? "null" : pyRepr(key, 200);
}

interface Frame {
  key: string;
  depth: number;
  items: Iterator<[unknown, unknown]>;
}

/**
 * Flattens the unpickled root of a checkpoint (a dict, possibly of nested dicts and lists of
 * tensors) into dotted keys, as `state_dict` names them. Each object is walked once, without
 * recursion: one tensor may appear under several keys (tied weights), but a dict, or a list
 * holding tensors, reached under a second key (shared, or holding itself) is refused with a
 * `SyntaxError` naming both keys, as flattening it again could repeat without end. Nesting past
 * {@linkcode MAX_PICKLE_DEPTH} levels and keys past {@linkcode MAX_KEY_CHARACTERS} in all are
 * refused with a `RangeError`. Lists without tensors are values, shared or cyclic as they are.
 *
 * @example Usage
 * ```ts
 * import { flattenCheckpoint } from "./torch_pickle.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 *
 * const root = new Map<unknown, unknown>([["epoch", 3], ["net", new Map([["lr", 0.1]])]]);
 * deepEqual([...flattenCheckpoint(root, "x").values], [["epoch", 3], ["net.lr", 0.1]]);
 * const shared = new Map([["lr", 0.1]]);
 * throws(() => flattenCheckpoint(new Map([["a", shared], ["b", shared]]), "x"), /'a' and 'b'/);
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
  const holders = tensorHolders(root);
  const keyOf = new Map<object, string>();
  const frames: Frame[] = [];
  let characters = 0;
  const place = (key: string, value: unknown, depth: number): void => {
    if (key !== "") {
      characters += key.length;
      if (characters > MAX_KEY_CHARACTERS) {
        throw new RangeError(
          `Cannot read ${what} as a state_dict as its keys take more than ${MAX_KEY_CHARACTERS} characters in all: current value is key ${
            pyRepr(key, 200)
          }`,
        );
      }
      if (out.tensors.has(key) || out.values.has(key)) {
        throw new SyntaxError(
          `Cannot read ${what} as two entries flatten to one key: current value is ${
            pyRepr(key, 200)
          }`,
        );
      }
    }
    if (value instanceof TensorRef) {
      out.tensors.set(key, value);
      return;
    }
    const expand = value instanceof Map
      ? value.size > 0 || key === ""
      : Array.isArray(value) && holders.has(value);
    if (!expand) {
      out.values.set(key, value);
      return;
    }
    const container = value as Map<unknown, unknown> | unknown[];
    const first = keyOf.get(container);
    if (first !== undefined) {
      throw new SyntaxError(
        `Cannot read ${what} as a state_dict as one ${
          Array.isArray(container) ? "list" : "dict"
        } is reached under two keys (flattening it twice could repeat without end): current value is ${
          pyRepr(first, 200)
        } and ${pyRepr(key, 200)}`,
      );
    }
    if (depth > MAX_PICKLE_DEPTH) {
      throw new RangeError(
        `Cannot read ${what} as a state_dict as it nests deeper than ${MAX_PICKLE_DEPTH} levels: current value is key ${
          pyRepr(key, 200)
        }`,
      );
    }
    keyOf.set(container, key);
    frames.push({ key, depth, items: container.entries() });
  };
  place("", root, 1);
  while (frames.length > 0) {
    const frame = frames[frames.length - 1];
    const next = frame.items.next();
    if (next.done) {
      frames.pop();
      continue;
    }
    const [k, v] = next.value;
    place(frame.key === "" ? segmentOf(k) : `${frame.key}.${segmentOf(k)}`, v, frame.depth + 1);
  }
  return out;
}

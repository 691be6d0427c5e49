/**
 * Reads the cluster centres that pix2pixHD's `encode_features.py` saves with
 * `np.save('features_clustered_010.npy', centers)`: a dict from label to a (k, feat_num) float
 * array of K-means centres. `np.save` wraps the dict in a 0-d object array, so the `.npy` header
 * says `'descr': '|O', 'shape': ()` and the body is a pickle of that array (protocol 2, 3 or 4 by
 * numpy version). The pickle is read by the restricted unpickler: it executes nothing, only
 * numpy's array, dtype and scalar reconstructors (and `_codecs.encode`, with which protocol 2
 * spells bytes) are allowed, and the unpickler's bounds hold (16 MiB, 2^20 objects, 1000 levels
 * of nesting). Nothing here walks the unpickled value recursively.
 *
 * @module
 */
import { PyCallable, PyInstance, unpickle } from "./pickle.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The header fields and where the body starts. */
interface NpyHeader {
  descr: unknown;
  shape: unknown;
  bodyStart: number;
}

/** The class `numpy.ndarray`: only an argument of `_reconstruct`, never called itself. */
class NdarrayClass extends PyCallable {}

/** A numpy array as `_reconstruct` makes it; BUILD then sets `(1, shape, dtype, fortran, data)`. */
class NpArray extends PyInstance {}

/** A numpy dtype as `numpy.dtype('f4', False, True)` makes it; BUILD then sets its byte order. */
class NpDtype extends PyInstance {
  /** The type code it was made from, such as `f4`, `i8` or `O8`. */
  readonly code: unknown;

  constructor(code: unknown) {
    super("numpy.dtype");
    this.code = code;
  }
}

/** A numpy scalar, such as a label from `np.unique`: `scalar(dtype, raw bytes)`. */
class NpScalar {
  /** Its dtype. */
  readonly dtype: unknown;
  /** Its value's bytes. */
  readonly raw: unknown;

  constructor(dtype: unknown, raw: unknown) {
    this.dtype = dtype;
    this.raw = raw;
  }
}

/** A dtype as far as this reader needs it. */
interface Dtype {
  /** Kind letter: `f` float, `i` signed, `u` unsigned, `b` bool, `O` object... */
  kind: string;
  /** Bytes per element. */
  size: number;
  littleEndian: boolean;
  /** numpy's name for it, such as `<f4`, for messages. */
  name: string;
}

/** An array's state, read from its BUILD. */
interface ArrayState {
  shape: number[];
  dtype: Dtype;
  fortran: boolean;
  /** Raw bytes, or the list of elements for an object array. */
  data: Uint8Array | unknown[];
}

/**
 * Parses the bytes of a pix2pixHD features_clustered_*.npy file: label -> cluster centres (k rows
 * of feat_num numbers), in the dict's order. Labels may be Python ints or numpy integer scalars;
 * centres float32 or float64 of either byte order, C or Fortran order, every label with the same
 * number of columns. Anything else, and any global outside the numpy subset, is refused with an
 * error naming `what`.
 *
 * @example Usage
 * ```ts
 * import { parseClusterNpy } from "./npy.ts";
 * import { throws } from "node:assert/strict";
 *
 * // A plain float32 .npy (np.save of an array, not of a dict) is refused.
 * const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
 * const bytes = new Uint8Array([
 *   0x93, ...new TextEncoder().encode("NUMPY"), 1, 0, header.length + 1, 0,
 *   ...new TextEncoder().encode(header + "\n"), 0, 0, 0x80, 0x3f,
 * ]);
 * throws(() => parseClusterNpy(bytes, "'x.npy'"), /not a pickled dict/);
 * ```
 */
export function parseClusterNpy(bytes: Uint8Array, what: string): Map<number, number[][]> {
  const header = readHeader(bytes, what);
  const centres = `Cannot read ${what} as cluster centres as`;
  if (header.descr !== "|O") {
    throw new TypeError(
      `${centres} it holds a plain array, not a pickled dict: current value is descr ${
        pyRepr(header.descr)
      }, shape ${pyRepr(header.shape)}`,
    );
  }
  if (!Array.isArray(header.shape) || header.shape.length !== 0) {
    throw new TypeError(
      `${centres} it holds an object array, not a single pickled dict: current value is shape ${
        pyRepr(header.shape)
      }`,
    );
  }
  const { value } = unpickle(bytes, {
    what,
    start: header.bodyStart,
    findGlobal: numpyGlobals(what),
  });
  if (!(value instanceof NpArray)) {
    throw new TypeError(
      `${centres} its pickle is not a numpy array: current value is ${describe(value)}`,
    );
  }
  const root = arrayState(value, "the pickled array", centres);
  if (root.dtype.kind !== "O" || root.shape.length !== 0) {
    throw new TypeError(
      `${centres} its pickle is not a 0-d object array: current value is dtype ${root.dtype.name}, shape ${
        shapeText(root.shape)
      }`,
    );
  }
  const dict = (root.data as unknown[])[0];
  if (!(dict instanceof Map)) {
    throw new TypeError(
      `${centres} the pickled object is not a dict: current value is ${describe(dict)}`,
    );
  }
  const out = new Map<number, number[][]>();
  let first: { label: number; columns: number } | undefined;
  for (const [key, value] of dict as Map<unknown, unknown>) {
    const label = labelOf(key, centres);
    if (out.has(label)) {
      throw new SyntaxError(
        `${centres} label ${label} appears twice: current value is ${describe(key)}`,
      );
    }
    const rows = centresOf(value, label, centres);
    const columns = rows[0].length;
    if (first && columns !== first.columns) {
      throw new TypeError(
        `${centres} label ${label} has ${columns} feature columns where label ${first.label} has ${first.columns}: current value is shape (${rows.length}, ${columns})`,
      );
    }
    first ??= { label, columns };
    out.set(label, rows);
  }
  return out;
}

/** Reads the magic, version and header dict; checks the three keys numpy writes. */
function readHeader(bytes: Uint8Array, what: string): NpyHeader {
  const npy = `Cannot read ${what} as a .npy file as`;
  const truncated = (needed: number): never => {
    throw new SyntaxError(
      `${npy} it ends inside its header: current value is ${bytes.length} bytes, ${needed} needed`,
    );
  };
  if (bytes.length < 8) truncated(8);
  if (!MAGIC.every((b, i) => bytes[i] === b)) {
    throw new SyntaxError(
      `${npy} it lacks the \\x93NUMPY magic: current value is first bytes ${
        [...bytes.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join(" ")
      }`,
    );
  }
  const [major, minor] = [bytes[6], bytes[7]];
  if (minor !== 0 || major < 1 || major > 3) {
    throw new SyntaxError(
      `${npy} its format version is not 1.0, 2.0 or 3.0: current value is ${major}.${minor}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthEnd = major === 1 ? 10 : 12;
  if (bytes.length < lengthEnd) truncated(lengthEnd);
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const bodyStart = lengthEnd + length;
  if (bytes.length < bodyStart) truncated(bodyStart);
  const raw = bytes.subarray(lengthEnd, bodyStart);
  let text: string;
  try {
    // Versions 1.0 and 2.0 write latin1, 3.0 UTF-8.
    text = major === 3
      ? new TextDecoder("utf-8", { fatal: true }).decode(raw)
      : Array.from(raw, (b) => String.fromCharCode(b)).join("");
  } catch {
    throw new SyntaxError(
      `${npy} its version 3.0 header is not UTF-8: current value is ${raw.length} bytes`,
    );
  }
  let dict: unknown;
  try {
    dict = parsePyLiteral(text);
  } catch (error) {
    throw new SyntaxError(
      `${npy} its header is not a Python literal (${(error as Error).message}): current value is ${
        JSON.stringify(text.trimEnd().slice(0, 120))
      }`,
    );
  }
  const keys = dict instanceof Map ? [...dict.keys()].sort() : undefined;
  if (!keys || keys.join() !== "descr,fortran_order,shape") {
    throw new SyntaxError(
      `${npy} its header is not a dict of descr, fortran_order and shape: current value is ${
        JSON.stringify(text.trimEnd().slice(0, 120))
      }`,
    );
  }
  const fields = dict as Map<string, unknown>;
  return {
    descr: fields.get("descr"),
    shape: fields.get("shape"),
    bodyStart,
  };
}

/** An int (a Python 2 `L` suffix allowed) or a name, where the header parser stands. */
const WORD = /(-?\d+)L?|[A-Za-z_]\w*/y;

/**
 * Parses the Python literal of a `.npy` header: dicts, tuples, lists, strings, ints (a Python 2
 * `L` suffix allowed), True, False and None. Tuples and lists both become arrays.
 */
function parsePyLiteral(text: string): unknown {
  let at = 0;
  const skip = () => {
    while (at < text.length && " \t\r\n".includes(text[at])) at++;
  };
  const expect = (char: string) => {
    skip();
    if (text[at] !== char) {
      throw new SyntaxError(`'${char}' expected at character ${at}`);
    }
    at++;
  };
  const value = (depth: number): unknown => {
    if (depth > 32) throw new SyntaxError(`nesting deeper than 32 at character ${at}`);
    skip();
    const c = text[at];
    if (c === "{") {
      at++;
      const dict = new Map<unknown, unknown>();
      for (skip(); text[at] !== "}"; skip()) {
        const key = value(depth + 1);
        expect(":");
        dict.set(key, value(depth + 1));
        skip();
        if (text[at] === ",") at++;
        else if (text[at] !== "}") throw new SyntaxError(`',' or '}' expected at character ${at}`);
        skip();
      }
      at++;
      return dict;
    }
    if (c === "(" || c === "[") {
      const close = c === "(" ? ")" : "]";
      at++;
      const items: unknown[] = [];
      let comma = false;
      for (skip(); text[at] !== close; skip()) {
        items.push(value(depth + 1));
        skip();
        comma = text[at] === ",";
        if (comma) at++;
        else if (text[at] !== close) {
          throw new SyntaxError(`',' or '${close}' expected at character ${at}`);
        }
      }
      at++;
      // (x) is x in Python; only (x,) is a tuple.
      return c === "(" && items.length === 1 && !comma ? items[0] : items;
    }
    if (c === "'" || c === '"') {
      at++;
      let s = "";
      while (at < text.length && text[at] !== c) {
        if (text[at] === "\\") {
          const e = text[at + 1];
          const simple: Record<string, string> = {
            "\\": "\\",
            "'": "'",
            '"': '"',
            n: "\n",
            t: "\t",
            r: "\r",
            "0": "\0",
          };
          if (e in simple) {
            s += simple[e];
            at += 2;
          } else if (e === "x" && /^[0-9a-fA-F]{2}$/.test(text.slice(at + 2, at + 4))) {
            s += String.fromCharCode(parseInt(text.slice(at + 2, at + 4), 16));
            at += 4;
          } else {
            throw new SyntaxError(`unsupported escape at character ${at}`);
          }
        } else {
          s += text[at++];
        }
      }
      if (at >= text.length) throw new SyntaxError("unterminated string");
      at++;
      return s;
    }
    WORD.lastIndex = at;
    const word = WORD.exec(text);
    if (!word) throw new SyntaxError(`unexpected '${c ?? "end"}' at character ${at}`);
    at += word[0].length;
    if (word[1] !== undefined) {
      const n = BigInt(word[1]);
      return Number.isSafeInteger(Number(n)) ? Number(n) : n;
    }
    const names: Record<string, unknown> = { True: true, False: false, None: null };
    if (!(word[0] in names)) throw new SyntaxError(`unknown name '${word[0]}'`);
    return names[word[0]];
  };
  const result = value(0);
  skip();
  if (at !== text.length) throw new SyntaxError(`text after the literal at character ${at}`);
  return result;
}

/**
 * The globals a pickled dict of numpy arrays names, in numpy 1.x (`numpy.core.multiarray`) and
 * 2.x (`numpy._core.multiarray`) spellings, plus `_codecs.encode`, with which protocol 2 writes
 * bytes. Anything else is refused with a `TypeError` naming it.
 */
function numpyGlobals(what: string): (module: string, name: string) => PyCallable {
  const ndarray = new NdarrayClass("numpy.ndarray", () => {
    throw new TypeError(
      `Cannot unpickle ${what} as it calls numpy.ndarray itself, which numpy's pickles never do: current value is numpy.ndarray`,
    );
  });
  const malformed = (full: string, args: unknown[]): never => {
    throw new SyntaxError(
      `Cannot unpickle ${what} as ${full} has malformed arguments: current value is ${
        args.map(describe).join(", ")
      }`,
    );
  };
  return (module, name) => {
    const full = `${module}.${name}`;
    const multiarray = module === "numpy.core.multiarray" || module === "numpy._core.multiarray";
    if (multiarray && name === "_reconstruct") {
      // _reconstruct(numpy.ndarray, (0,), b'b') makes an empty array that BUILD then fills.
      return new PyCallable(full, (args) => {
        if (!(args[0] instanceof NdarrayClass)) malformed(full, args);
        return new NpArray("numpy.ndarray");
      });
    }
    if (full === "numpy.ndarray") return ndarray;
    if (full === "numpy.dtype") {
      // dtype('f4', False, True); BUILD then sets (3, '<', None, None, None, -1, -1, 0).
      return new PyCallable(full, (args) => {
        if (typeof args[0] !== "string") malformed(full, args);
        return new NpDtype(args[0]);
      });
    }
    if (multiarray && name === "scalar") {
      // scalar(dtype('i8'), b'<8 bytes>'), or scalar(dtype('O8'), obj) for an object scalar.
      return new PyCallable(full, (args) => {
        if (args.length !== 2 || !(args[0] instanceof NpDtype)) malformed(full, args);
        return new NpScalar(args[0], args[1]);
      });
    }
    if (full === "_codecs.encode") {
      // Protocol 2 spells bytes as _codecs.encode('<bytes as latin1 text>', 'latin1').
      return new PyCallable(full, (args) => {
        const [text, encoding] = args;
        if (
          args.length !== 2 || typeof text !== "string" ||
          (encoding !== "latin1" && encoding !== "latin-1") || /[^\0-\xff]/.test(text)
        ) {
          malformed(full, args);
        }
        return latin1Bytes(text as string);
      });
    }
    throw new TypeError(
      `Cannot unpickle ${what} as it names a global outside the numpy subset (loading never runs code): current value is ${full}`,
    );
  };
}

function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Reads a dtype's type code and the byte order its BUILD state set. */
function dtypeOf(value: unknown, where: string, prefix: string): Dtype {
  if (!(value instanceof NpDtype)) {
    throw new TypeError(
      `${prefix} the dtype of ${where} is not a numpy dtype: current value is ${describe(value)}`,
    );
  }
  const code = /^([a-zA-Z])(\d+)$/.exec(typeof value.code === "string" ? value.code : "");
  // State (3, '<', ...) since numpy 1.x, (4, '<', ..., metadata) with metadata; the oldest
  // pickles have (endian, subarray, fields, elsize, alignment). Unset, the dtype is native.
  const state = value.state;
  let endian: unknown = "=";
  if (Array.isArray(state)) endian = state.length === 5 ? state[0] : state[1];
  if (endian instanceof Uint8Array && endian.length === 1) endian = String.fromCharCode(endian[0]);
  if (!code || !(typeof endian === "string" && "<>|=".includes(endian) && endian.length === 1)) {
    throw new SyntaxError(
      `${prefix} the dtype of ${where} is malformed: current value is code ${
        describe(value.code)
      }, state ${describe(state)}`,
    );
  }
  const [, kind, digits] = code;
  const size = Number(digits);
  // '=' (native) never comes from numpy's pickler, which writes '<' or '>'; read it as '<'.
  const littleEndian = endian !== ">";
  const order = size === 1 || kind === "O" ? "|" : littleEndian ? "<" : ">";
  return { kind, size, littleEndian, name: `${order}${kind}${digits}` };
}

/** Reads an array's BUILD state, `(1, shape, dtype, is_fortran, data)` or the older 4-tuple. */
function arrayState(value: NpArray, where: string, prefix: string): ArrayState {
  const state = value.state;
  if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4)) {
    throw new SyntaxError(
      `${prefix} the numpy array state of ${where} is malformed: current value is ${
        describe(state)
      }`,
    );
  }
  const [shape, dtypeValue, fortran, data] = state.length === 5 ? state.slice(1) : state;
  if (
    !Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0) ||
    !(typeof fortran === "boolean" || fortran === 0 || fortran === 1)
  ) {
    throw new SyntaxError(
      `${prefix} the numpy array state of ${where} is malformed: current value is shape ${
        describe(shape)
      }, fortran order ${describe(fortran)}`,
    );
  }
  const dtype = dtypeOf(dtypeValue, where, prefix);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  let elements: Uint8Array | unknown[];
  if (dtype.kind === "O") {
    if (!Array.isArray(data) || data.length !== count) {
      throw new SyntaxError(
        `${prefix} the elements of ${where} do not fill its shape: current value is ${
          describe(data)
        } for shape ${shapeText(shape)}`,
      );
    }
    elements = data;
  } else {
    // A Python 2 pickle holds the data as a str, which numpy reads as latin1.
    const raw = typeof data === "string" && !/[^\0-\xff]/.test(data) ? latin1Bytes(data) : data;
    if (!(raw instanceof Uint8Array) || raw.length !== count * dtype.size) {
      throw new SyntaxError(
        `${prefix} the data of ${where} does not fill its shape: current value is ${
          describe(data)
        } for shape ${shapeText(shape)} of ${dtype.name} (${count * dtype.size} bytes)`,
      );
    }
    elements = raw;
  }
  return {
    shape: shape as number[],
    dtype,
    fortran: fortran === true || fortran === 1,
    data: elements,
  };
}

/** A label: a Python int, or a numpy integer scalar (np.unique gives int64). */
function labelOf(key: unknown, prefix: string): number {
  if (typeof key === "number" && Number.isSafeInteger(key)) return key;
  if (key instanceof NpScalar) {
    const dtype = dtypeOf(key.dtype, "a label", prefix);
    const raw = typeof key.raw === "string" && !/[^\0-\xff]/.test(key.raw)
      ? latin1Bytes(key.raw)
      : key.raw;
    if (
      (dtype.kind === "i" || dtype.kind === "u") && [1, 2, 4, 8].includes(dtype.size) &&
      raw instanceof Uint8Array && raw.length === dtype.size
    ) {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const signed = dtype.kind === "i";
      const le = dtype.littleEndian;
      const n = dtype.size === 8
        ? (signed ? view.getBigInt64(0, le) : view.getBigUint64(0, le))
        : BigInt(
          dtype.size === 4
            ? (signed ? view.getInt32(0, le) : view.getUint32(0, le))
            : dtype.size === 2
            ? (signed ? view.getInt16(0, le) : view.getUint16(0, le))
            : (signed ? view.getInt8(0) : view.getUint8(0)),
        );
      if (Number.isSafeInteger(Number(n))) return Number(n);
    }
    let shown = describe(key.raw);
    if (dtype.kind === "f" && (dtype.size === 4 || dtype.size === 8) && raw instanceof Uint8Array) {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      if (raw.length === dtype.size) {
        shown = String(
          dtype.size === 4
            ? view.getFloat32(0, dtype.littleEndian)
            : view.getFloat64(0, dtype.littleEndian),
        );
      }
    }
    throw new TypeError(
      `${prefix} a label is not an integer: current value is a numpy ${dtype.name} scalar ${shown}`,
    );
  }
  throw new TypeError(`${prefix} a label is not an integer: current value is ${describe(key)}`);
}

/** A label's centres: a 2-D float32/float64 array with at least one row and one column. */
function centresOf(value: unknown, label: number, prefix: string): number[][] {
  const where = `label ${label}'s centres`;
  if (!(value instanceof NpArray)) {
    throw new TypeError(
      `${prefix} ${where} are not a numpy array: current value is ${describe(value)}`,
    );
  }
  const { shape, dtype, fortran, data } = arrayState(value, where, prefix);
  if (dtype.kind !== "f" || (dtype.size !== 4 && dtype.size !== 8)) {
    throw new TypeError(
      `${prefix} ${where} are not float32 or float64: current value is dtype ${dtype.name}`,
    );
  }
  if (shape.length !== 2 || shape[0] === 0 || shape[1] === 0) {
    throw new TypeError(
      `${prefix} ${where} are not a 2-D array of at least one row and column: current value is shape ${
        shapeText(shape)
      }`,
    );
  }
  const [rows, columns] = shape;
  const bytes = data as Uint8Array;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { size, littleEndian } = dtype;
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = new Array<number>(columns);
    for (let c = 0; c < columns; c++) {
      // C order is row-major; a Fortran-order array's data is column-major.
      const at = (fortran ? c * rows + r : r * columns + c) * size;
      row[c] = size === 4 ? view.getFloat32(at, littleEndian) : view.getFloat64(at, littleEndian);
    }
    out.push(row);
  }
  return out;
}

function shapeText(shape: unknown[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** A header value as Python writes it, for messages. */
function pyRepr(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (Array.isArray(value)) return shapeText(value.map(pyRepr));
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  return String(value);
}

/** A short description of an unpickled value, for messages. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number" || typeof value === "bigint") return `${value}`;
  if (typeof value === "string") {
    return `str ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  }
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `a tuple or list of ${value.length}`;
  if (value instanceof Map) return `a dict of ${value.size}`;
  if (value instanceof NpDtype) return `numpy dtype ${describe(value.code)}`;
  if (value instanceof NpArray) return "a numpy array";
  if (value instanceof NpScalar) return "a numpy scalar";
  if (value instanceof PyInstance) return `a ${value.className}`;
  if (value instanceof PyCallable) return value.name;
  return typeof value;
}

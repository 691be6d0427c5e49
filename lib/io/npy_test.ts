import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { PickleEndError } from "./pickle.ts";
import { PickleWriter } from "./pickle_writer.ts";
import { nestedLists } from "./_test_utils.ts";
import { parseClusterNpy } from "./npy.ts";

/**
 * Writes a pickle opcode by opcode the way CPython's `pickle.Pickler` does: every str, bytes,
 * non-empty tuple, list, dict, global and REDUCE result is memoized (BINPUT, or MEMOIZE from
 * protocol 4) as soon as pickle has written it, and an object pickled a second time is a BINGET of
 * its entry. `id` names a Python object that recurs (a builtin dtype, an interned one-letter str,
 * numpy's module name...); without one the object is new, as tuples built on the fly are.
 */
class Pickle {
  readonly protocol: 2 | 3 | 4;
  #out: number[] = [];
  #memo = new Map<string, number>();
  #size = 0;

  constructor(protocol: 2 | 3 | 4) {
    this.protocol = protocol;
    this.#out.push(0x80, protocol); // PROTO
  }

  #u32(n: number): number[] {
    return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  }

  /**
   * `write` then memoize, then `after` (a list's items, a REDUCE's BUILD), unless `id` is in the
   * memo already: then only BINGET, as pickle's `save` checks the memo first.
   */
  #memoized(id: string | undefined, write: () => void, after?: () => void): this {
    const index = id === undefined ? undefined : this.#memo.get(id);
    if (index !== undefined) {
      this.#out.push(...(index < 256 ? [0x68, index] : [0x6a, ...this.#u32(index)])); // BINGET
      return this;
    }
    write();
    if (id !== undefined) this.#memo.set(id, this.#size);
    if (this.protocol >= 4) this.#out.push(0x94); // MEMOIZE
    else if (this.#size < 256) this.#out.push(0x71, this.#size); // BINPUT
    else this.#out.push(0x72, ...this.#u32(this.#size)); // LONG_BINPUT
    this.#size++;
    after?.();
    return this;
  }

  /** A Python int: BININT1, BININT2 or BININT, the shortest that holds it. */
  int(n: number): this {
    if (n >= 0 && n < 256) this.#out.push(0x4b, n);
    else if (n >= 0 && n < 65536) this.#out.push(0x4d, n & 0xff, n >> 8);
    else this.#out.push(0x4a, ...this.#u32(n));
    return this;
  }

  /** NEWTRUE or NEWFALSE. */
  bool(b: boolean): this {
    this.#out.push(b ? 0x88 : 0x89);
    return this;
  }

  /** NONE. */
  none(): this {
    this.#out.push(0x4e);
    return this;
  }

  /** A str: BINUNICODE, or SHORT_BINUNICODE from protocol 4. */
  str(s: string, id?: string): this {
    return this.#memoized(id, () => {
      const utf8 = new TextEncoder().encode(s);
      if (this.protocol >= 4 && utf8.length < 256) this.#out.push(0x8c, utf8.length, ...utf8);
      else this.#out.push(0x58, ...this.#u32(utf8.length), ...utf8);
    });
  }

  /**
   * A bytes object: SHORT_BINBYTES or BINBYTES from protocol 3; protocol 2 has no bytes opcode,
   * so Python 3 writes `_codecs.encode('<the bytes as latin1 text>', 'latin1')`, one 'latin1' str
   * shared by every call.
   */
  bytes(b: Uint8Array, id?: string): this {
    if (this.protocol === 2) {
      return this.reduce(
        () => this.global("_codecs", "encode"),
        () =>
          this.tuple(
            () => this.str(String.fromCharCode(...b)),
            () => this.str("latin1", "str:latin1"),
          ),
        undefined,
        id,
      );
    }
    return this.#memoized(id, () => {
      if (b.length < 256) this.#out.push(0x43, b.length, ...b);
      else this.#out.push(0x42, ...this.#u32(b.length), ...b);
    });
  }

  /**
   * A global: GLOBAL 'module\nname\n'; from protocol 4 the two strs (memoized, so a module named
   * twice is a BINGET) and STACK_GLOBAL.
   */
  global(module: string, name: string): this {
    return this.#memoized(`global:${module}.${name}`, () => {
      if (this.protocol >= 4) {
        this.str(module, `str:${module}`).str(name, `str:${name}`);
        this.#out.push(0x93);
      } else {
        this.#out.push(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
      }
    });
  }

  /** A tuple: EMPTY_TUPLE (never memoized), TUPLE1/2/3, or MARK ... TUPLE past three items. */
  tuple(...items: (() => unknown)[]): this {
    if (items.length === 0) {
      this.#out.push(0x29);
      return this;
    }
    return this.#memoized(undefined, () => {
      if (items.length > 3) this.#out.push(0x28); // MARK
      for (const item of items) item();
      this.#out.push(items.length > 3 ? 0x74 : 0x84 + items.length);
    });
  }

  /** EMPTY_LIST, then one item and APPEND, or MARK, the items and APPENDS. */
  list(...items: (() => unknown)[]): this {
    return this.#memoized(undefined, () => this.#out.push(0x5d), () => {
      if (items.length > 1) this.#out.push(0x28);
      for (const item of items) item();
      if (items.length > 0) this.#out.push(items.length > 1 ? 0x65 : 0x61);
    });
  }

  /** EMPTY_DICT, then one pair and SETITEM, or MARK, the pairs and SETITEMS. */
  dict(...pairs: [() => unknown, () => unknown][]): this {
    return this.#memoized(undefined, () => this.#out.push(0x7d), () => {
      if (pairs.length > 1) this.#out.push(0x28);
      for (const [key, value] of pairs) key(), value();
      if (pairs.length > 0) this.#out.push(pairs.length > 1 ? 0x75 : 0x73);
    });
  }

  /** `func`, `args`, REDUCE, memoized; then `state` and BUILD when `__reduce__` gave a state. */
  reduce(func: () => unknown, args: () => unknown, state?: () => unknown, id?: string): this {
    return this.#memoized(id, () => {
      func();
      args();
      this.#out.push(0x52);
    }, state && (() => (state(), this.#out.push(0x62))));
  }

  /** STOP, and the pickle; from protocol 4 one FRAME holds everything after PROTO. */
  stop(): Uint8Array {
    this.#out.push(0x2e);
    if (this.protocol >= 4) {
      const length = this.#out.length - 2;
      this.#out.splice(2, 0, 0x95, ...this.#u32(length), 0, 0, 0, 0);
    }
    return new Uint8Array(this.#out);
  }
}

/** numpy 1.x names `_reconstruct` and `scalar` so; numpy 2.x says `numpy._core.multiarray`. */
const NUMPY1 = "numpy.core.multiarray";
const NUMPY2 = "numpy._core.multiarray";

/**
 * A dtype, as numpy's `arraydescr_reduce` pickles it: `numpy.dtype('f8', False, True)` with BUILD
 * state `(3, '<', None, None, None, -1, -1, flags)`, flags 63 for object. Builtin dtypes are
 * singletons, so a second use is a BINGET; byte orders are interned one-letter strs.
 */
function dtype(p: Pickle, endian: "<" | ">" | "|", code: string): void {
  p.reduce(
    () => p.global("numpy", "dtype"),
    () => p.tuple(() => p.str(code), () => p.bool(false), () => p.bool(true)),
    () =>
      p.tuple(
        () => p.int(3),
        () => p.str(endian, `str:${endian}`),
        () => p.none(),
        () => p.none(),
        () => p.none(),
        () => p.int(-1),
        () => p.int(-1),
        () => p.int(code === "O8" ? 63 : 0),
      ),
    `dtype:${endian}${code}`,
  );
}

/**
 * An array, as numpy's `array_reduce` pickles it: `_reconstruct(numpy.ndarray, (0,), b'b')`, then
 * BUILD with `(1, shape, dtype, is_fortran, data)`; `data` is the raw bytes (in Fortran order for
 * a Fortran array), or a list of the elements for an object array.
 */
function ndarray(
  p: Pickle,
  module: string,
  shape: number[],
  dt: () => void,
  fortran: boolean,
  data: () => unknown,
): void {
  p.reduce(
    () => p.global(module, "_reconstruct"),
    () =>
      p.tuple(
        () => p.global("numpy", "ndarray"),
        () => p.tuple(() => p.int(0)),
        () => p.bytes(new Uint8Array([0x62]), "bytes:b"), // one-byte bytes are singletons
      ),
    () =>
      p.tuple(
        () => p.int(1),
        () => p.tuple(...shape.map((n) => () => p.int(n))),
        dt,
        () => p.bool(fortran),
        data,
      ),
  );
}

/** A float array's bytes, C order unless `fortran`. */
function floats(rows: number[][], size: 4 | 8, littleEndian: boolean, fortran = false): Uint8Array {
  const [k, n] = [rows.length, rows[0].length];
  const out = new Uint8Array(k * n * size);
  const view = new DataView(out.buffer);
  rows.forEach((row, r) =>
    row.forEach((x, c) => {
      const at = (fortran ? c * k + r : r * n + c) * size;
      if (size === 4) view.setFloat32(at, x, littleEndian);
      else view.setFloat64(at, x, littleEndian);
    })
  );
  return out;
}

/** One label's centres: a Python int key or a numpy int64 scalar (np.unique's), and its array. */
interface Entry {
  label: number;
  int64?: boolean;
  rows: number[][];
  code?: "f4" | "f8";
  endian?: "<" | ">";
  fortran?: boolean;
}

/**
 * The pickle `np.save(path, centers)` writes for a dict: `np.save` wraps the dict in a 0-d object
 * array (dtype 'O8', shape ()), whose data is the one-element list [dict].
 */
function clusterPickle(protocol: 2 | 3 | 4, module: string, entries: Entry[]): Uint8Array {
  const p = new Pickle(protocol);
  ndarray(
    p,
    module,
    [],
    () => dtype(p, "|", "O8"),
    false,
    () =>
      p.list(() =>
        p.dict(...entries.map((e): [() => unknown, () => unknown] => {
          const { code = "f8", endian = "<", fortran = false } = e;
          const key = () => {
            if (!e.int64) return p.int(e.label);
            // numpy's gentype_reduce: scalar(dtype('i8'), b'<8 little-endian bytes>').
            const raw = new Uint8Array(8);
            new DataView(raw.buffer).setBigInt64(0, BigInt(e.label), true);
            return p.reduce(
              () => p.global(module, "scalar"),
              () => p.tuple(() => dtype(p, "<", "i8"), () => p.bytes(raw)),
            );
          };
          const size = code === "f4" ? 4 : 8;
          const value = () =>
            ndarray(
              p,
              module,
              [e.rows.length, e.rows[0].length],
              () => dtype(p, endian, code),
              fortran,
              () => p.bytes(floats(e.rows, size, endian === "<", fortran)),
            );
          return [key, value];
        }))
      ),
  );
  return p.stop();
}

/**
 * A .npy file: `\x93NUMPY`, the version, the header length (u16 for 1.0, u32 after), and the
 * header dict as numpy's `_write_array_header` writes it, padded with spaces and a newline to a
 * multiple of 64 bytes; then the body.
 */
function npy(
  body: Uint8Array,
  header = "{'descr': '|O', 'fortran_order': False, 'shape': (), }",
  major = 1,
): Uint8Array {
  const lengthBytes = major === 1 ? 2 : 4;
  const pad = 64 - ((8 + lengthBytes + header.length + 1) % 64);
  const text = new TextEncoder().encode(header + " ".repeat(pad) + "\n");
  const length = major === 1 ? [text.length & 0xff, text.length >> 8] : [
    text.length & 0xff,
    (text.length >> 8) & 0xff,
    0,
    0,
  ];
  return new Uint8Array([
    0x93,
    ...new TextEncoder().encode("NUMPY"),
    major,
    0,
    ...length,
    ...text,
    ...body,
  ]);
}

const F32_A = [[1.5, -2, 0.25]];
const F32_B = [[1, 2, 3], [4, 5, 6]];
const WHAT = "'features_clustered_010.npy'";

Deno.test("parseClusterNpy() reads float32 centres of two labels (numpy 1.x, protocol 3)", () => {
  const bytes = npy(clusterPickle(3, NUMPY1, [
    { label: 0, rows: F32_A, code: "f4" },
    { label: 3, rows: F32_B, code: "f4" },
  ]));
  deepEqual([...parseClusterNpy(bytes, WHAT)], [[0, F32_A], [3, F32_B]]);
});

Deno.test("parseClusterNpy() reads float64 centres (KMeans of float64 features)", () => {
  const rows = [[0.1, -0.2, 1e-300], [Math.PI, 2, -0]];
  const result = parseClusterNpy(npy(clusterPickle(3, NUMPY1, [{ label: 5, rows }])), WHAT);
  deepEqual([...result], [[5, rows]]);
  ok(Object.is(result.get(5)![1][2], -0));
});

Deno.test("parseClusterNpy() reads numpy int64 scalar labels (from np.unique)", () => {
  const bytes = npy(clusterPickle(3, NUMPY1, [
    { label: 2, int64: true, rows: [[0.5, 1]] },
    { label: 7, int64: true, rows: [[1, 3], [2, 4]] },
  ]));
  deepEqual([...parseClusterNpy(bytes, WHAT)], [[2, [[0.5, 1]]], [7, [[1, 3], [2, 4]]]]);
});

Deno.test("parseClusterNpy() reads numpy 2.x's numpy._core names and np.save's protocol 4", () => {
  const bytes = npy(clusterPickle(4, NUMPY2, [
    { label: 0, rows: F32_A, code: "f4" },
    { label: 3, rows: F32_B, code: "f4" },
    { label: 300, int64: true, rows: [[7, 8, 9]], code: "f4" },
  ]));
  deepEqual([...parseClusterNpy(bytes, WHAT)], [[0, F32_A], [3, F32_B], [300, [[7, 8, 9]]]]);
});

Deno.test("parseClusterNpy() reads protocol 2, whose bytes are _codecs.encode(str, 'latin1')", () => {
  const bytes = npy(clusterPickle(2, NUMPY1, [
    { label: 1, rows: [[0.5, 0.75]] },
    { label: 2, int64: true, rows: [[255, 128.5]] },
  ]));
  deepEqual([...parseClusterNpy(bytes, WHAT)], [[1, [[0.5, 0.75]]], [2, [[255, 128.5]]]]);
});

Deno.test("parseClusterNpy() reads big-endian and Fortran-order arrays", () => {
  const bytes = npy(clusterPickle(3, NUMPY1, [
    { label: 0, rows: [[0.5, 1]], endian: ">" },
    { label: 1, rows: [[1, 2], [3, 4]], fortran: true },
    { label: 2, rows: [[-1.5, 6], [7, 8], [9, 10]], code: "f4", endian: ">", fortran: true },
  ]));
  deepEqual([...parseClusterNpy(bytes, WHAT)], [
    [0, [[0.5, 1]]],
    [1, [[1, 2], [3, 4]]],
    [2, [[-1.5, 6], [7, 8], [9, 10]]],
  ]);
});

Deno.test("parseClusterNpy() reads format versions 2.0 and 3.0 headers", () => {
  const body = clusterPickle(3, NUMPY1, [{ label: 4, rows: [[1, 2]] }]);
  for (const major of [2, 3]) {
    deepEqual([...parseClusterNpy(npy(body, undefined, major), WHAT)], [[4, [[1, 2]]]]);
  }
  // Key order, quotes and spacing are not fixed.
  const loose = npy(body, '{"shape":(),"fortran_order":False,"descr":"|O"}');
  deepEqual([...parseClusterNpy(loose, WHAT)], [[4, [[1, 2]]]]);
  // A Python 2 header writes longs as 2L.
  throws(
    () =>
      parseClusterNpy(
        npy(body, "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L)}"),
        WHAT,
      ),
    /current value is descr '<f8', shape \(2, 3\)/,
  );
});

Deno.test("parseClusterNpy() refuses a global outside numpy's, naming it and the file", () => {
  // What pickle writes for an object whose __reduce__ is (os.system, ('ls',)): GLOBAL 'os system',
  // BINUNICODE 'ls', TUPLE1, REDUCE, as an evil .npy would hold.
  const p = new Pickle(3);
  const evil = p.reduce(() => p.global("os", "system"), () => p.tuple(() => p.str("ls"))).stop();
  throws(
    () => parseClusterNpy(npy(evil), WHAT),
    (e: Error) =>
      e instanceof TypeError && e.message.includes("os.system") && e.message.includes(WHAT),
  );
  // Also where numpy's globals would be, in place of numpy.ndarray.
  const q = new Pickle(3);
  const sneaky = q.reduce(
    () => q.global(NUMPY1, "_reconstruct"),
    () => q.tuple(() => q.global("builtins", "eval"), () => q.tuple(() => q.int(0))),
  ).stop();
  throws(() => parseClusterNpy(npy(sneaky), WHAT), /builtins\.eval/);
});

Deno.test("parseClusterNpy() refuses a plain numeric .npy and an object array of other shape", () => {
  const plain = npy(
    floats([[1, 2, 3]], 4, true),
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }",
  );
  throws(
    () => parseClusterNpy(plain, WHAT),
    (e: Error) =>
      e.message ===
        `Cannot read ${WHAT} as cluster centres as it holds a plain array, not a pickled dict: current value is descr '<f4', shape (1, 3)`,
  );
  const list = npy(new Uint8Array(), "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }");
  throws(
    () => parseClusterNpy(list, WHAT),
    /not a single pickled dict: current value is shape \(2,\)/,
  );
});

Deno.test("parseClusterNpy() refuses truncated files and bad headers", () => {
  const bytes = npy(clusterPickle(3, NUMPY1, [{ label: 0, rows: F32_A, code: "f4" }]));
  throws(() => parseClusterNpy(bytes.subarray(0, 5), WHAT), /ends inside its header/);
  throws(
    () => parseClusterNpy(bytes.subarray(0, 40), WHAT),
    /ends inside its header: current value is 40 bytes, 128 needed/,
  );
  throws(
    () => parseClusterNpy(bytes.subarray(0, bytes.length - 20), WHAT),
    (e: Error) => e instanceof PickleEndError && e.message.includes(WHAT),
  );
  throws(
    () => parseClusterNpy(new TextEncoder().encode("PK\x03\x04 not npy"), WHAT),
    /\\x93NUMPY magic/,
  );
  const v4 = bytes.slice();
  v4[6] = 4;
  throws(() => parseClusterNpy(v4, WHAT), /version is not 1.0, 2.0 or 3.0: current value is 4.0/);
  const body = bytes.subarray(128);
  throws(
    () => parseClusterNpy(npy(body, "{'descr': '|O', 'shape': ()}"), WHAT),
    /descr, fortran_order and shape/,
  );
  throws(() => parseClusterNpy(npy(body, "{'descr': |O}"), WHAT), /not a Python literal/);
});

/**
 * A dict of one entry, written opcode by opcode: `key`, and a `code` array of `shape` whose data is
 * `bytes` zero bytes.
 */
function oneEntry(
  key: (p: Pickle) => unknown,
  shape: number[],
  code: string,
  bytes: number,
): Uint8Array {
  const p = new Pickle(3);
  ndarray(p, NUMPY1, [], () => dtype(p, "|", "O8"), false, () =>
    p.list(() =>
      p.dict([
        () => key(p),
        () =>
          ndarray(
            p,
            NUMPY1,
            shape,
            () => dtype(p, "<", code),
            false,
            () => p.bytes(new Uint8Array(bytes)),
          ),
      ])
    ));
  return npy(p.stop());
}

Deno.test("parseClusterNpy() refuses labels and centres pix2pixHD could not use", () => {
  const message = (text: string) => (e: Error) =>
    e.message === `Cannot read ${WHAT} as cluster centres as ${text}`;
  throws(
    () =>
      parseClusterNpy(
        npy(clusterPickle(3, NUMPY1, [
          { label: 0, rows: [[1, 2, 3]] },
          { label: 1, rows: [[1, 2]] },
        ])),
        WHAT,
      ),
    message("label 1 has 2 feature columns where label 0 has 3: current value is shape (1, 2)"),
  );
  throws(
    () => parseClusterNpy(oneEntry((p) => p.str("car"), [1, 1], "f8", 8), WHAT),
    message('a label is not an integer: current value is str "car"'),
  );
  throws(
    () => parseClusterNpy(oneEntry((p) => p.int(6), [1, 1, 2], "f4", 8), WHAT),
    message(
      "label 6's centres are not a 2-D array of at least one row and column: current value is shape (1, 1, 2)",
    ),
  );
  throws(
    () => parseClusterNpy(oneEntry((p) => p.int(6), [0, 3], "f4", 0), WHAT),
    message(
      "label 6's centres are not a 2-D array of at least one row and column: current value is shape (0, 3)",
    ),
  );
  throws(
    () => parseClusterNpy(oneEntry((p) => p.int(6), [1, 1], "i8", 8), WHAT),
    message("label 6's centres are not float32 or float64: current value is dtype <i8"),
  );
  throws(
    () => parseClusterNpy(oneEntry((p) => p.int(6), [2, 2], "f4", 12), WHAT),
    message(
      "the data of label 6's centres does not fill its shape: current value is 12 bytes for shape (2, 2) of <f4 (16 bytes)",
    ),
  );
  // A float label, as numpy's scalar(dtype('f8'), b'...') of 1.5.
  const floatKey = (p: Pickle) =>
    p.reduce(
      () => p.global(NUMPY1, "scalar"),
      () =>
        p.tuple(() => dtype(p, "<", "f8"), () =>
          p.bytes(new Uint8Array([0, 0, 0, 0, 0, 0, 248, 63]))),
    );
  throws(
    () => parseClusterNpy(oneEntry(floatKey, [1, 1], "f8", 8), WHAT),
    message("a label is not an integer: current value is a numpy <f8 scalar 1.5"),
  );
  // An empty dict (no label had large enough instances) is an empty map.
  equal(parseClusterNpy(npy(clusterPickle(3, NUMPY1, [])), WHAT).size, 0);
});

Deno.test("parseClusterNpy() refuses a pickle nested 200,000 deep, naming the file", () => {
  const deep = nestedLists(200_000)(new PickleWriter()).stop();
  throws(
    () => parseClusterNpy(npy(deep), WHAT),
    new RangeError(
      `Cannot unpickle ${WHAT} as it nests dicts, lists and tuples deeper than 1000 levels: current value is at least 1001 levels`,
    ),
  );
});

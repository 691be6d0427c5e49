/**
 * A restricted unpickler for the subset of Python's pickle format that `torch.save` writes.
 * It executes nothing: every global is resolved through a caller-supplied table, and any opcode
 * outside the subset is refused with an error naming it.
 *
 * @module
 */

/** A Python callable that the caller allows: REDUCE calls `call` with the argument tuple. */
export class PyCallable {
  /** Dotted Python name, for error messages. */
  readonly name: string;
  /** Builds the value that calling the Python callable with `args` would give. */
  readonly call: (args: unknown[]) => unknown;

  /**
   * Wraps a function that stands in for the Python callable `name`.
   *
   * @example Usage
   * ```ts
   * import { PyCallable } from "./pickle.ts";
   * import { equal } from "node:assert/strict";
   *
   * const len = new PyCallable("builtins.len", ([x]) => (x as unknown[]).length);
   * equal(len.call([[1, 2]]), 2);
   * ```
   */
  constructor(name: string, call: (args: unknown[]) => unknown) {
    this.name = name;
    this.call = call;
  }
}

/** A Python dict (or OrderedDict), keeping insertion order, plus any attributes BUILD set. */
export class PyDict extends Map<unknown, unknown> {
  /** Attributes set by BUILD, such as a state_dict's `_metadata`. */
  attributes: Map<unknown, unknown> = new Map();
}

/**
 * An instance that an allowed callable makes for a class whose state BUILD sets (Python's
 * `__setstate__`), such as a numpy array: BUILD stores the state here, uninterpreted, for the
 * caller to read.
 */
export class PyInstance {
  /** Dotted Python name of its class, for error messages. */
  readonly className: string;
  /** The state the last BUILD set; undefined before any. */
  state: unknown = undefined;

  /** An instance of the Python class `className`, its state not yet set. */
  constructor(className: string) {
    this.className = className;
  }
}

/** Hooks of {@linkcode unpickle}. */
export interface UnpickleOptions {
  /** Offset of the pickle's first byte. Default 0. */
  start?: number;
  /** Names the pickle in error messages, such as `'net.pth' entry 'net/data.pkl'`. */
  what: string;
  /** Resolves GLOBAL and STACK_GLOBAL; throws for anything not allowed. */
  findGlobal(module: string, name: string): PyCallable;
  /** Resolves a persistent id (BINPERSID); absent, persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
}

/** Thrown when the bytes end before the pickle's STOP opcode. */
export class PickleEndError extends SyntaxError {}

/** Result of {@linkcode unpickle}. */
export interface Unpickled {
  /** The object the pickle describes. */
  value: unknown;
  /** Offset just past its STOP opcode. */
  end: number;
}

const NAMES: Record<number, string> = Object.fromEntries(
  ("(MARK .STOP 0POP 1POP_MARK 2DUP FFLOAT IINT JBININT KBININT1 LLONG MBININT2 NNONE PPERSID " +
    "QBINPERSID RREDUCE SSTRING TBINSTRING USHORT_BINSTRING VUNICODE XBINUNICODE aAPPEND bBUILD " +
    "cGLOBAL dDICT }EMPTY_DICT eAPPENDS gGET hBINGET iINST jLONG_BINGET lLIST ]EMPTY_LIST oOBJ " +
    "pPUT qBINPUT rLONG_BINPUT sSETITEM tTUPLE )EMPTY_TUPLE uSETITEMS GBINFLOAT")
    .split(" ").map((s) => [s.charCodeAt(0), s.slice(1)] as [number, string]).concat([
      [0x80, "PROTO"],
      [0x81, "NEWOBJ"],
      [0x82, "EXT1"],
      [0x83, "EXT2"],
      [0x84, "EXT4"],
      [0x85, "TUPLE1"],
      [0x86, "TUPLE2"],
      [0x87, "TUPLE3"],
      [0x88, "NEWTRUE"],
      [0x89, "NEWFALSE"],
      [0x8a, "LONG1"],
      [0x8b, "LONG4"],
      [0x8c, "SHORT_BINUNICODE"],
      [0x8d, "BINUNICODE8"],
      [0x8e, "BINBYTES8"],
      [0x8f, "EMPTY_SET"],
      [0x90, "ADDITEMS"],
      [0x91, "FROZENSET"],
      [0x92, "NEWOBJ_EX"],
      [0x93, "STACK_GLOBAL"],
      [0x94, "MEMOIZE"],
      [0x95, "FRAME"],
      [0x96, "BYTEARRAY8"],
      [0x97, "NEXT_BUFFER"],
      [0x98, "READONLY_BUFFER"],
      [0x42, "BINBYTES"],
      [0x43, "SHORT_BINBYTES"],
    ]),
);

const MARK = Symbol("mark");

/**
 * Reads one pickle from `bytes`, starting at `options.start`.
 *
 * @example Usage
 * ```ts
 * import { PyCallable, unpickle } from "./pickle.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 *
 * // pickle.dumps({"a": [1, 2.5]}, protocol=2)
 * const bytes = new Uint8Array([
 *   0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x5d, 0x71, 2,
 *   0x28, 0x4b, 1, 0x47, 0x40, 4, 0, 0, 0, 0, 0, 0, 0x65, 0x73, 0x2e,
 * ]);
 * const refuse = (module: string, name: string): PyCallable => {
 *   throw new TypeError(`${module}.${name}`);
 * };
 * const { value } = unpickle(bytes, { what: "example", findGlobal: refuse });
 * deepEqual([...(value as Map<string, unknown>)], [["a", [1, 2.5]]]);
 * throws(() => unpickle(new TextEncoder().encode("cos\nsystem\n."), { what: "evil", findGlobal: refuse }));
 * ```
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): Unpickled {
  const { what, start = 0 } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let at = start;

  const need = (n: number): number => {
    if (at + n > bytes.length) {
      throw new PickleEndError(
        `Cannot unpickle ${what} as it ends before its STOP opcode: current value is ${bytes.length} bytes, ${
          at + n
        } needed`,
      );
    }
    const here = at;
    at += n;
    return here;
  };
  const fail = (message: string): never => {
    throw new SyntaxError(`Cannot unpickle ${what} as ${message}`);
  };
  const u8 = () => view.getUint8(need(1));
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const n = view.getBigUint64(need(8), true);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`a length is too large: current value is ${n}`);
    return Number(n);
  };
  const take = (n: number) => bytes.subarray(need(n), at);
  const utf8 = (n: number) => new TextDecoder("utf-8", { fatal: true }).decode(take(n));
  const latin1 = (n: number) => String.fromCharCode(...take(n));
  const line = (): string => {
    let end = at;
    while (end < bytes.length && bytes[end] !== 0x0a) end++;
    const text = latin1(end - at);
    need(1);
    return text;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail(`it pops an empty stack: current value is byte ${at - 1}`);
    const top = stack.pop();
    if (top === MARK) fail(`it pops a MARK as a value: current value is byte ${at - 1}`);
    return top;
  };
  const top = (): unknown => {
    if (stack.length === 0 || stack.at(-1) === MARK) {
      fail(`it uses a value where there is none: current value is byte ${at - 1}`);
    }
    return stack.at(-1);
  };
  const popMark = (): unknown[] => {
    const mark = stack.lastIndexOf(MARK);
    if (mark < 0) fail(`it has no MARK to pop to: current value is byte ${at - 1}`);
    return stack.splice(mark).slice(1);
  };
  const memoGet = (index: number): unknown => {
    if (!memo.has(index)) fail(`it reads memo ${index}, never stored: current value is byte ${at}`);
    return memo.get(index);
  };
  const long = (raw: Uint8Array): number | bigint => {
    let n = 0n;
    for (let i = raw.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(raw[i]);
    if (raw.length > 0 && raw[raw.length - 1] & 0x80) n -= 1n << BigInt(8 * raw.length);
    return narrow(n);
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof Map)) {
      fail(`SETITEM targets a value that is not a dict: current value is byte ${at}`);
    }
    for (let i = 0; i + 1 < items.length; i += 2) {
      (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
    }
  };
  const append = (list: unknown, items: unknown[]): void => {
    if (!Array.isArray(list)) {
      fail(`APPEND targets a value that is not a list: current value is byte ${at}`);
    }
    (list as unknown[]).push(...items);
  };

  while (true) {
    const offset = at;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol > 5) fail(`its protocol is unsupported: current value is ${protocol}`);
        break;
      }
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) {
          fail(
            `it stops with ${stack.length} values on the stack: current value is byte ${offset}`,
          );
        }
        return { value: stack[0], end: at };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(long(take(u32())));
        break;
      case 0x49: { // INT (protocol 0; "I01" and "I00" are True and False)
        const text = line();
        if (text === "01" || text === "00") stack.push(text === "01");
        else if (/^-?\d+$/.test(text)) stack.push(narrow(BigInt(text)));
        else fail(`INT holds '${text}': current value is byte ${offset}`);
        break;
      }
      case 0x47: // BINFLOAT
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(u64()));
        break;
      case 0x54: // BINSTRING (a Python 2 str)
        stack.push(latin1(view.getInt32(need(4), true)));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x61: { // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: { // DICT
        const dict = new PyDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x67: // GET
        stack.push(memoGet(Number(line())));
        break;
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(options.findGlobal(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          fail(`STACK_GLOBAL names a global with non-strings: current value is byte ${offset}`);
        }
        stack.push(options.findGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PyCallable) || !Array.isArray(args)) {
          fail(
            `REDUCE calls a value that is not an allowed global: current value is byte ${offset}`,
          );
        }
        stack.push((callable as PyCallable).call(args as unknown[]));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = top();
        if (target instanceof PyInstance) {
          target.state = state;
          break;
        }
        if (!(target instanceof PyDict) || !(state instanceof Map)) {
          fail(`BUILD sets state on a value other than a dict: current value is byte ${offset}`);
        }
        for (const [k, v] of state as Map<unknown, unknown>) {
          (target as PyDict).attributes.set(k, v);
        }
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) {
          fail(`it holds a persistent id: current value is byte ${offset}`);
        }
        stack.push(options.persistentLoad!(pid));
        break;
      }
      default:
        fail(
          `opcode 0x${op.toString(16).padStart(2, "0")} (${
            NAMES[op] ?? "unknown"
          }) is outside the torch.save subset: current value is byte ${offset}`,
        );
    }
  }
}

/** A Python int as a number when it is a safe integer, else as a bigint. */
function narrow(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

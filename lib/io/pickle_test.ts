import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { PickleEndError, PyCallable, PyDict, unpickle } from "./pickle.ts";
import { PickleWriter } from "./pickle_writer.ts";
import {
  appendedLists,
  type Fragment,
  inChild,
  ioModule,
  nestedLists,
  selfList,
  sharedTuples,
} from "./_test_utils.ts";

const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
const refuse = (module: string, name: string): PyCallable => {
  throw new TypeError(`refused ${module}.${name}`);
};
const read = (bytes: Uint8Array) => unpickle(bytes, { what: "'test'", findGlobal: refuse }).value;

// pickle.dumps(OBJ, protocol=2) and protocol=4 by CPython 3.11, with OBJ =
// {"ints": [0, 255, 256, 65535, 65536, -1, -2**31, 2**31, 2**62, -2**63, 2**70],
//  "f": [1.5, -0.0], "s": "héllo", "t": (1, (2, 3), ()), "n": None, "tf": [True, False]}
const PROTOCOL2 =
  "80027d7100285804000000696e747371015d7102284b004bff4d00014dffff4a000001004affffffff4a" +
  "000000808a0500000080008a0800000000000000408a0800000000000000808a090000000000000000406558010000" +
  "006671035d710428473ff8000000000000478000000000000000655801000000737105580600000068c3a96c6c6f71" +
  "0658010000007471074b014b024b038671082987710958010000006e710a4e58020000007466710b5d710c28888965752e";
// The same object plus "b": b"\x00\x01", protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, bytes).
const PROTOCOL4 =
  "8004959e000000000000007d94288c04696e7473945d94284b004bff4d00014dffff4a000001004affff" +
  "ffff4a000000808a0500000080008a0800000000000000408a0800000000000000808a09000000000000" +
  "000040658c0166945d9428473ff8000000000000478000000000000000658c0173948c0668c3a96c6c6f" +
  "948c0174944b014b024b0386942987948c016e944e8c027466945d94288889658c016294430200019475" +
  "2e";
const INTS = [
  0,
  255,
  256,
  65535,
  65536,
  -1,
  -(2 ** 31),
  2 ** 31,
  2n ** 62n,
  -(2n ** 63n),
  2n ** 70n,
];

Deno.test("unpickle() reads CPython's protocol 2 and 4 pickles of plain values", () => {
  for (
    const [bytes, extra] of [[PROTOCOL2, []], [PROTOCOL4, [["b", new Uint8Array([0, 1])]]]] as const
  ) {
    const value = read(hex(bytes)) as PyDict;
    ok(value instanceof PyDict);
    deepEqual(value.get("ints"), INTS);
    deepEqual(value.get("f"), [1.5, -0]);
    ok(Object.is((value.get("f") as number[])[1], -0));
    equal(value.get("s"), "héllo");
    deepEqual(value.get("t"), [1, [2, 3], []]);
    equal(value.get("n"), null);
    deepEqual(value.get("tf"), [true, false]);
    for (const [k, v] of extra) deepEqual(value.get(k), v);
  }
});

Deno.test("unpickle() resolves memo references to the same object", () => {
  // pickle.dumps({"a": shared, "b": shared}, protocol=2) with shared = [1]
  const value = read(
    hex("80027d71002858010000006171015d71024b016158010000006271036802752e"),
  ) as PyDict;
  ok(value.get("a") === value.get("b"));
});

Deno.test("unpickle() starts at an offset and reports where the pickle ends", () => {
  const one = new PickleWriter().int(7).stop();
  const two = new Uint8Array([...one, ...new PickleWriter().int(9).stop()]);
  const first = unpickle(two, { what: "x", findGlobal: refuse });
  equal(first.value, 7);
  equal(unpickle(two, { start: first.end, what: "x", findGlobal: refuse }).value, 9);
});

Deno.test("unpickle() refuses globals through findGlobal, by GLOBAL and STACK_GLOBAL", () => {
  throws(() => read(new TextEncoder().encode("cos\nsystem\n(S'ls'\ntR.")), /refused os\.system/);
  // pickle.dumps(E(), protocol=4) where E reduces to builtins.eval("1")
  const stackGlobal =
    "8004951d000000000000008c086275696c74696e73948c046576616c9493948c013194859452942e";
  throws(() => read(hex(stackGlobal)), /refused builtins\.eval/);
});

Deno.test("unpickle() calls allowed callables on REDUCE and refuses other values", () => {
  const pair = new PyCallable("m.pair", (args) => ({ pair: args }));
  const bytes = new PickleWriter().global("m", "pair").mark().int(1).int(2).tuple().reduce().stop();
  deepEqual(unpickle(bytes, { what: "x", findGlobal: () => pair }).value, { pair: [1, 2] });
  const notCallable = new PickleWriter().int(1).emptyTuple().reduce().stop();
  throws(() => read(notCallable), /REDUCE calls a value that is not an allowed global/);
});

Deno.test("unpickle() names an opcode outside the torch.save subset", () => {
  // pickle.dumps({"a": [1, True]}, protocol=0) starts with DICT and uses UNICODE
  throws(
    () => read(new TextEncoder().encode("(dp0\nVa\np1\n(lp2\nI1\naI01\nas.")),
    (error: Error) => {
      ok(error instanceof SyntaxError);
      equal(
        error.message,
        "Cannot unpickle 'test' as opcode 0x56 (UNICODE) is outside the torch.save subset: current value is byte 5",
      );
      return true;
    },
  );
  throws(() => read(hex("8002820152")), /opcode 0x82 \(EXT1\)/);
  throws(() => read(hex("8002ff")), /opcode 0xff \(unknown\)/);
  throws(() => read(hex("8006")), /protocol is unsupported: current value is 6/);
});

Deno.test("unpickle() throws PickleEndError when the bytes end before STOP", () => {
  const whole = hex(PROTOCOL2);
  for (const cut of [0, 1, 5, 40, whole.length - 1]) {
    throws(() => read(whole.subarray(0, cut)), (error: Error) => {
      ok(error instanceof PickleEndError && error instanceof SyntaxError);
      ok(error.message.startsWith("Cannot unpickle 'test' as it ends before its STOP opcode"));
      return true;
    });
  }
});

Deno.test("unpickle() refuses persistent ids without a persistentLoad hook", () => {
  const bytes = new PickleWriter().mark().str("storage").tuple().persistentId().stop();
  throws(() => read(bytes), /persistent id/);
  const value =
    unpickle(bytes, { what: "x", findGlobal: refuse, persistentLoad: (pid) => ({ pid }) }).value;
  deepEqual(value, { pid: ["storage"] });
});

Deno.test("unpickle() refuses malformed stacks", () => {
  throws(() => read(hex("80022e")), /stops with 0 values/);
  throws(() => read(hex("80024b014b022e")), /stops with 2 values/);
  throws(() => read(hex("800230")), /pops an empty stack/);
  throws(() => read(hex("8002680a2e")), /reads memo 10, never stored/);
  throws(() => read(hex("80024b014b024b037300")), /SETITEM targets a value that is not a dict/);
});

const wrap = (value: Fragment) => value(new PickleWriter()).stop();

Deno.test("unpickle() reads a 1 MiB string and a list of a million items without overflowing", () => {
  const n = 1 << 20;
  const binstring = new Uint8Array(5 + n + 1).fill(0xe9);
  binstring[0] = 0x54; // BINSTRING, a Python 2 str read as latin1
  new DataView(binstring.buffer).setInt32(1, n, true);
  binstring[5 + n] = 0x2e;
  const text = read(binstring) as string;
  equal(text.length, n);
  equal(text.at(-1), "é");
  const appends = new Uint8Array(n + 4).fill(0x4e); // EMPTY_LIST, MARK, NONE..., APPENDS, STOP
  appends.set([0x5d, 0x28]);
  appends.set([0x65, 0x2e], n + 2);
  const list = read(appends) as unknown[];
  equal(list.length, n);
  equal(list.at(-1), null);
});

Deno.test("unpickle() refuses nesting deeper than 1000 levels, naming the pickle", () => {
  let inner = read(wrap(nestedLists(1000)));
  for (let i = 1; i < 1000; i++) inner = (inner as unknown[])[0];
  deepEqual(inner, []);
  const deep = new RangeError(
    "Cannot unpickle 'test' as it nests dicts, lists and tuples deeper than 1000 levels: current value is at least 1001 levels",
  );
  throws(() => read(wrap(nestedLists(1001))), deep);
  throws(() => read(wrap(nestedLists(200_000))), deep);
  // Lists nested only by APPENDs after all of them were made.
  throws(() => read(wrap(appendedLists(5000, 0))), deep);
  // A cycle is no deeper than its path: a list that holds itself is one level, as in Python.
  const cycle = read(wrap(selfList(0))) as unknown[];
  ok(cycle[0] === cycle);
  // Shared objects are walked once: 2^64 paths, 65 levels.
  equal((read(wrap(sharedTuples(64, 0))) as unknown[]).length, 2);
});

Deno.test("unpickle() refuses a pickle past 16 MiB or 2^20 objects before making them", () => {
  // BINUNICODE8 of 2^40 bytes: refused without reading further.
  const huge = new Uint8Array([0x80, 4, 0x8d, 0, 0, 0, 0, 0, 1, 0, 0]);
  throws(
    () => read(huge),
    new RangeError(
      "Cannot unpickle 'test' as it is larger than 16777216 bytes (16 MiB), the most a pickle may take: current value is 1099511627787 bytes needed",
    ),
  );
  const tuples = (count: number) => {
    const w = new PickleWriter().emptyList();
    for (let done = 0; done < count; done += 50_000) {
      w.mark();
      for (let i = done; i < Math.min(count, done + 50_000); i++) w.emptyTuple();
      w.appends();
    }
    return w.stop();
  };
  equal((read(tuples(2 ** 20 - 1)) as unknown[]).length, 2 ** 20 - 1);
  throws(
    () => read(tuples(2 ** 20)),
    /^RangeError: Cannot unpickle 'test' as it makes more than 1048576 objects \(dicts, lists, tuples, bytes, globals and call results\): current value is byte \d+$/,
  );
});

Deno.test("unpickle() refuses an INT of more than 4300 digits, as Python does", () => {
  const int = (digits: string) => new TextEncoder().encode(`I${digits}\n.`);
  equal(read(int("9".repeat(4300))), BigInt("9".repeat(4300)));
  throws(
    () => read(int("9".repeat(4301))),
    new SyntaxError(
      "Cannot unpickle 'test' as an INT has more than 4300 digits, Python's limit: current value is 4301 digits",
    ),
  );
});

Deno.test("unpickle() reads a 1 MiB LONG4 in linear time", async () => {
  const result = await inChild(
    `import { unpickle } from "${ioModule("pickle.ts")}";
    const n = 1 << 20;
    const bytes = new Uint8Array(5 + n + 1).fill(0x11); // LONG4 0x1111...11, STOP
    bytes[0] = 0x8b;
    new DataView(bytes.buffer).setUint32(1, n, true);
    bytes[5 + n] = 0x2e;
    const value = unpickle(bytes, { what: "x", findGlobal: () => { throw new Error(); } }).value;
    console.log(value === BigInt("0x" + "11".repeat(n)));`,
    20_000,
  );
  deepEqual([result.timedOut, result.stdout.trim(), result.stderr], [false, "true", ""]);
});

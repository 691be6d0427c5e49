import { deepEqual, equal } from "node:assert/strict";
import { PyCallable, unpickle } from "./pickle.ts";
import { PickleWriter } from "./pickle_writer.ts";

const read = (bytes: Uint8Array) =>
  unpickle(bytes, {
    what: "x",
    findGlobal: (m, n) => new PyCallable(`${m}.${n}`, (args) => ({ [`${m}.${n}`]: args })),
  }).value;

Deno.test("PickleWriter writes ints in their shortest opcode and reads back", () => {
  const values = [
    0,
    255,
    256,
    65535,
    65536,
    -1,
    -(2 ** 31),
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
  ];
  for (const v of values) equal(read(new PickleWriter().int(v).stop()), v);
  deepEqual([...new PickleWriter().int(255).stop()], [0x80, 2, 0x4b, 255, 0x2e]);
  deepEqual([...new PickleWriter().int(256).stop()], [0x80, 2, 0x4d, 0, 1, 0x2e]);
  deepEqual([...new PickleWriter().int(-1).stop()], [0x80, 2, 0x4a, 255, 255, 255, 255, 0x2e]);
  deepEqual([...new PickleWriter().int(2 ** 31).stop()], [
    0x80,
    2,
    0x8a,
    5,
    0,
    0,
    0,
    0x80,
    0,
    0x2e,
  ]);
});

Deno.test("PickleWriter writes strings, booleans, tuples and calls", () => {
  const bytes = new PickleWriter().global("m", "f").mark().str("né").bool(true).bool(false)
    .intTuple([]).intTuple([3, 4]).tuple().reduce().stop();
  deepEqual(read(bytes), { "m.f": ["né", true, false, [], [3, 4]] });
});

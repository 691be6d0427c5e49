import { equal, ok } from "node:assert/strict";
import { PyCallable, PyDict, PyInstance } from "./py_objects.ts";
import { pyRepr } from "./py_repr.ts";

Deno.test("pyRepr() writes plain values as Python does", () => {
  equal(pyRepr(null), "None");
  equal(
    pyRepr([true, false, 7, -0.5, 2n ** 70n]),
    "[True, False, 7, -0.5, 1180591620717411303424]",
  );
  equal(pyRepr([NaN, Infinity, -Infinity]), "[nan, inf, -inf]");
  equal(pyRepr("it's"), `"it's"`);
  equal(pyRepr(`'"\n\\\x01é`), `'\\'"\\n\\\\\\x01é'`);
  equal(pyRepr(new Uint8Array([0, 65, 39, 255])), "b'\\x00A\\'\\xff'");
  equal(pyRepr(new PyDict([["lr", 0.1], [3, [null]]])), "{'lr': 0.1, 3: [None]}");
  equal(pyRepr(new PyCallable("torch.FloatStorage", () => 0)), "<torch.FloatStorage>");
  equal(pyRepr(new PyInstance("numpy.ndarray")), "<numpy.ndarray object>");
});

Deno.test("pyRepr() writes a list or dict inside itself as [...] or {...}", () => {
  const list: unknown[] = [1];
  list.push(list);
  equal(pyRepr(list), "[1, [...]]");
  const dict = new Map<unknown, unknown>([["a", 1]]);
  dict.set("self", dict);
  equal(pyRepr([dict, dict]), "[{'a': 1, 'self': {...}}, {'a': 1, 'self': {...}}]");
});

Deno.test("pyRepr() stops after its budget, whatever the size or sharing of the value", () => {
  let dag: unknown[] = [];
  for (let i = 0; i < 64; i++) dag = [dag, dag];
  const start = performance.now();
  const text = pyRepr(dag, 50);
  ok(performance.now() - start < 1000);
  equal(text, `${"[".repeat(50)}...`);
  equal(pyRepr(new Array(10_000_000).fill(0), 12), "[0, 0, 0, 0,...");
  equal(pyRepr("x".repeat(10_000_000), 5), "'xxxx...");
  equal(pyRepr([1, 2], 6), "[1, 2]");
  equal(pyRepr([1, 2, 3], 6), "[1, 2,...");
});

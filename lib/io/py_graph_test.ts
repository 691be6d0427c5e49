import { equal } from "node:assert/strict";
import { nestingDepth } from "./py_graph.ts";
import { PyDict, PyInstance } from "./py_objects.ts";

/** `depth` arrays, each the only item of the next. */
function chain(depth: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

Deno.test("nestingDepth() counts levels exactly up to the limit, then stops at limit + 1", () => {
  equal(nestingDepth(null, 1000), 0);
  equal(nestingDepth([], 1000), 1);
  equal(nestingDepth(chain(1000), 1000), 1000);
  equal(nestingDepth(chain(1001), 1000), 1001);
  equal(nestingDepth(chain(1_000_000), 1000), 1001);
});

Deno.test("nestingDepth() visits shared objects once and counts each cycle once", () => {
  let dag: unknown[] = [];
  for (let i = 0; i < 64; i++) dag = [dag, dag];
  equal(nestingDepth(dag, 1000), 65);
  const self: unknown[] = [];
  self.push(self);
  equal(nestingDepth(self, 1000), 1);
  const a: unknown[] = [];
  const b: unknown[] = [a];
  a.push(b);
  equal(nestingDepth(a, 1000), 2);
});

Deno.test("nestingDepth() finds depth reached through objects already walked", () => {
  // root = [a1, a2, ..., an] with a_i = [a_(i-1)]: the walk never goes deeper than two frames,
  // yet a_n nests n levels.
  const items: unknown[][] = [[]];
  for (let i = 1; i < 2000; i++) items.push([items[i - 1]]);
  equal(nestingDepth(items, 5000), 2001);
  equal(nestingDepth(items, 1000), 1001);
});

Deno.test("nestingDepth() looks into dict keys and values, BUILD attributes and instance state", () => {
  equal(nestingDepth(new Map([[[[1]], 2]]), 10), 3);
  const dict = new PyDict([["w", 1]]);
  dict.attributes.set("_metadata", new Map([["", [1]]]));
  equal(nestingDepth(dict, 10), 3);
  const instance = new PyInstance("numpy.ndarray");
  instance.state = [1, [2]];
  equal(nestingDepth(instance, 10), 3);
});

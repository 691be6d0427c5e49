import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { gpu } from "../../tests/check.ts";
import type { LazyTensor, TensorData, TensorSource } from "../io/tensor_data.ts";
import { Tensor } from "../tensor/tensor.ts";
import { Module } from "./module.ts";

class Leaf extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly count: Tensor;
  constructor(n: number) {
    super();
    this.weight = this.addParameter("weight", Tensor.from(new Float32Array(n).fill(1), [n]));
    this.bias = this.addParameter("bias", Tensor.from([0], [1]));
    this.count = this.addBuffer("num_batches_tracked", Tensor.from(new Int32Array([0]), []));
  }
}

class Tree extends Module {
  readonly a: Leaf;
  readonly b: Leaf;
  constructor() {
    super();
    this.a = this.addModule("model", new Leaf(2));
    this.b = this.addModule("model1_1", new Leaf(3));
  }
}

const f32 = (values: number[], shape = [values.length]): TensorData => ({
  dtype: "float32",
  shape,
  data: new Float32Array(values),
});

Deno.test("Module: keys in state_dict order, parameters marked", async () => {
  await gpu();
  const tree = new Tree();
  deepEqual(tree.namedParameters().map(([k]) => k), [
    "model.weight",
    "model.bias",
    "model1_1.weight",
    "model1_1.bias",
  ]);
  deepEqual([...tree.stateDict().keys()], [
    "model.weight",
    "model.bias",
    "model.num_batches_tracked",
    "model1_1.weight",
    "model1_1.bias",
    "model1_1.num_batches_tracked",
  ]);
  ok(tree.parameters().every((p) => p.requiresGrad));
  ok(!tree.a.count.requiresGrad);
  equal(tree.eval().training, false);
  equal(tree.b.training, false);
  equal(tree.train().a.training, true);
  tree.dispose();
  ok(tree.a.weight.disposed && tree.b.count.disposed);
});

Deno.test("Module: names are checked", async () => {
  await gpu();
  class Bad extends Module {
    constructor(name: string) {
      super();
      this.addModule("x", new Module());
      this.addParameter(name, Tensor.from([1], [1]));
    }
  }
  let error: unknown;
  try {
    new Bad("x");
  } catch (e) {
    error = e;
  }
  ok(error instanceof TypeError && /name is taken/.test(error.message));
  try {
    new Bad("a.b");
  } catch (e) {
    error = e;
  }
  ok(error instanceof TypeError && /letters, digits or underscores/.test(error.message));
});

Deno.test("Module: a strict load copies in place, converting dtypes", async () => {
  await gpu();
  const tree = new Tree();
  const weight = tree.a.weight;
  const source = new Map<string, TensorSource>([
    ["model.weight", { dtype: "float16", shape: [2], data: new Uint16Array([0x3c00, 0x3800]) }],
    ["model.bias", f32([5])],
    ["model.num_batches_tracked", { dtype: "int64", shape: [], data: new BigInt64Array([7n]) }],
    ["model1_1.weight", f32([1, 2, 3])],
    ["model1_1.bias", f32([4])],
    [
      "model1_1.num_batches_tracked",
      {
        dtype: "int64",
        shape: [],
        read: () => Promise.resolve({ dtype: "int64", shape: [], data: new BigInt64Array([3n]) }),
      } satisfies LazyTensor,
    ],
  ]);
  const report = await tree.loadStateDict(source);
  deepEqual(report.loaded, [...tree.stateDict().keys()]);
  deepEqual([report.missing, report.unexpected, report.misshaped], [[], [], []]);
  equal(tree.a.weight, weight);
  deepEqual(await tree.a.weight.data(), new Float32Array([1, 0.5]));
  deepEqual(await tree.a.count.data(), new Int32Array([7]));
  deepEqual(await tree.b.weight.data(), new Float32Array([1, 2, 3]));
  deepEqual(await tree.b.count.data(), new Int32Array([3]));
  tree.dispose();
});

Deno.test("Module: a strict load names every bad key at once and loads nothing", async () => {
  await gpu();
  const tree = new Tree();
  const source = new Map<string, TensorSource>([
    ["model.weight", f32([9, 9])],
    ["model.bias", f32([1, 2], [2])],
    ["model.num_batches_tracked", { dtype: "int64", shape: [], data: new BigInt64Array([1n]) }],
    ["model1_1.weight", f32([1, 2, 3])],
    ["model2_1.weight", f32([1])],
  ]);
  await rejects(
    tree.loadStateDict(source),
    (e: Error) =>
      e instanceof TypeError &&
      e.message.includes("2 missing (model1_1.bias, model1_1.num_batches_tracked)") &&
      e.message.includes("1 unexpected (model2_1.weight)") &&
      e.message.includes("1 mis-shaped (model.bias: [2] where the module has [1])"),
  );
  deepEqual(await tree.a.weight.data(), new Float32Array([1, 1]));
  tree.dispose();
});

Deno.test("Module: a non-strict load copies what matches and reports the rest", async () => {
  await gpu();
  const tree = new Tree();
  const source = new Map<string, TensorSource>([
    ["model.weight", f32([9, 8])],
    ["model.bias", f32([1, 2], [2])],
    ["model.38.weight", f32([1])],
  ]);
  const report = await tree.loadStateDict(source, { strict: false });
  deepEqual(report, {
    loaded: ["model.weight"],
    missing: [
      "model.num_batches_tracked",
      "model1_1.weight",
      "model1_1.bias",
      "model1_1.num_batches_tracked",
    ],
    unexpected: ["model.38.weight"],
    misshaped: [{ key: "model.bias", expected: [1], actual: [2] }],
  });
  deepEqual(await tree.a.weight.data(), new Float32Array([9, 8]));
  deepEqual(await tree.a.bias.data(), new Float32Array([0]));
  tree.dispose();
});

Deno.test("Module: an integer buffer refuses float data", async () => {
  await gpu();
  const tree = new Tree();
  const source = new Map(
    [...tree.stateDict()].map(([k, t]) => [k, f32(new Array(t.size).fill(0), [...t.shape])]),
  );
  await rejects(tree.loadStateDict(source), TypeError);
  tree.dispose();
});

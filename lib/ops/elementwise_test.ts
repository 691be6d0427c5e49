import assert from "node:assert/strict";
import { checkOp, gpu } from "../../tests/check.ts";
import { Tensor } from "../tensor/tensor.ts";
import { add, leakyRelu, mul, relu, scale, sigmoid, sub, tanh } from "./elementwise.ts";

const map = (f: (v: number) => number) => ([x]: Float64Array[]) => x.map(f);
const shape = [2, 3, 4, 5];

Deno.test("relu matches max(x, 0) and its gradient", () =>
  checkOp({ inputs: [{ shape }], gpu: ([x]) => relu(x), ref: map((v) => Math.max(v, 0)) }));

Deno.test("leakyRelu matches x or 0.2x and its gradient", () =>
  checkOp({
    inputs: [{ shape }],
    gpu: ([x]) => leakyRelu(x, 0.2),
    ref: map((v) => (v > 0 ? v : 0.2 * v)),
  }));

Deno.test("tanh matches Math.tanh and its gradient", () =>
  checkOp({
    inputs: [{ shape, data: new Float64Array(120).map((_, i) => Math.fround((i - 60) / 7)) }],
    gpu: ([x]) => tanh(x),
    ref: map(Math.tanh),
    atol: 2e-6,
  }));

Deno.test("sigmoid matches 1/(1+e^-x) and its gradient", () =>
  checkOp({
    inputs: [{ shape }],
    gpu: ([x]) => sigmoid(x),
    ref: map((v) => 1 / (1 + Math.exp(-v))),
  }));

Deno.test("scale matches a·x and its gradient", () =>
  checkOp({ inputs: [{ shape }], gpu: ([x]) => scale(x, -2.5), ref: map((v) => -2.5 * v) }));

Deno.test("add, sub and mul match and pass their gradients to both inputs", async () => {
  const inputs = [{ shape }, { shape }];
  await checkOp({ inputs, gpu: ([x, z]) => add(x, z), ref: ([x, z]) => x.map((v, i) => v + z[i]) });
  await checkOp({ inputs, gpu: ([x, z]) => sub(x, z), ref: ([x, z]) => x.map((v, i) => v - z[i]) });
  await checkOp({ inputs, gpu: ([x, z]) => mul(x, z), ref: ([x, z]) => x.map((v, i) => v * z[i]) });
});

Deno.test("the same input used twice accumulates both gradients", () =>
  checkOp({ inputs: [{ shape }], gpu: ([x]) => mul(x, add(x, x)), ref: map((v) => 2 * v * v) }));

Deno.test("elementwise ops refuse mismatched shapes, int tensors and bad scales", async () => {
  await gpu();
  const a = Tensor.from(new Float32Array(6), [2, 3]);
  const b = Tensor.from(new Float32Array(6), [3, 2]);
  const i = Tensor.from(new Int32Array(6), [2, 3]);
  assert.throws(() => add(a, b), { name: "TypeError", message: /\[2,3\] and \[3,2\]/ });
  assert.throws(() => relu(i), { name: "TypeError", message: /float32: current dtype is int32/ });
  assert.throws(() => scale(a, NaN), RangeError);
  for (const t of [a, b, i]) t.dispose();
});

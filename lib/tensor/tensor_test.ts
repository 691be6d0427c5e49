import assert from "node:assert/strict";
import { gpu } from "../../tests/check.ts";
import { relu, scale } from "../ops/elementwise.ts";
import { sum } from "../ops/reduce.ts";
import { backward, clearTape, noGrad, tapeLength } from "./autograd.ts";
import { Tensor, tidy } from "./tensor.ts";

function param(values: number[]): Tensor {
  const t = Tensor.from(values, [values.length]);
  t.requiresGrad = true;
  return t;
}

Deno.test("tensors round-trip values and check shapes", async () => {
  await gpu();
  const t = Tensor.from([1, -2, 3.5, 4, 5, 6], [2, 3]);
  assert.deepEqual([...(await t.data())], [1, -2, 3.5, 4, 5, 6]);
  assert.deepEqual([...(await t.reshape([3, 2]).data())], [1, -2, 3.5, 4, 5, 6]);
  assert.throws(() => t.reshape([4, 2]), { name: "RangeError", message: /\[2,3\] to \[4,2\]/ });
  assert.throws(() => Tensor.from([1, 2], [3]), { name: "RangeError", message: /needs 3 values/ });
  assert.throws(() => Tensor.empty([2, -1]), RangeError);
  t.dispose();
  assert.throws(() => t.buffer, /after dispose/);
});

Deno.test("a tensor above the binding limit is refused naming the limit", async () => {
  const rt = await gpu();
  const limit = rt.gpu.limits.maxStorageBufferBindingSize;
  assert.throws(() => Tensor.empty([limit / 4 + 1]), {
    name: "RangeError",
    message: new RegExp(`maxStorageBufferBindingSize is ${limit}`),
  });
});

Deno.test("ops over more than 65535 workgroups cover every element", async () => {
  await gpu();
  const n = 65536 * 256 + 300;
  const x = Tensor.from(new Float32Array(n).fill(-1), [n]);
  const y = scale(x, -3);
  const out = await y.floats();
  assert.equal(out[0], 3);
  assert.equal(out[n - 1], 3);
  assert.equal(out.indexOf(0), -1);
  x.dispose(), y.dispose();
});

Deno.test("gradients accumulate over two backward passes", async () => {
  await gpu();
  const x = param([1, -2, 3]);
  backward(sum(scale(x, 2)));
  sum(relu(x)).backward();
  assert.deepEqual([...(await x.grad!.data())], [3, 2, 3]);
  x.dispose();
});

Deno.test("backward frees what it saved; walking the graph twice throws", async () => {
  const rt = await gpu();
  const x = param([1, -2, 3]);
  const before = rt.pool.stats().inUse;
  const loss = tidy(() => sum(relu(scale(x, 2))));
  assert.ok(tapeLength() >= 3);
  backward(loss);
  assert.equal(tapeLength(), 0);
  loss.dispose();
  const grad = x.grad!.buffer.size;
  assert.equal(rt.pool.stats().inUse, before + grad);
  assert.throws(() => backward(loss), { name: "TypeError", message: /does not require|freed/ });
  x.dispose();
});

Deno.test("noGrad records nothing and keeps no activations", async () => {
  const rt = await gpu();
  const x = param([1, -2, 3]);
  const before = rt.pool.stats().inUse;
  const y = noGrad(() => tidy(() => relu(scale(x, 2))));
  assert.equal(tapeLength(), 0);
  assert.equal(y.requiresGrad, false);
  y.dispose();
  assert.equal(rt.pool.stats().inUse, before);
  x.dispose();
});

Deno.test("clearTape frees nodes that no backward pass reached", async () => {
  const rt = await gpu();
  const x = param([1, 2]);
  const before = rt.pool.stats().inUse;
  tidy(() => {
    relu(scale(x, 2));
  });
  assert.ok(tapeLength() > 0);
  clearTape();
  assert.equal(tapeLength(), 0);
  assert.equal(rt.pool.stats().inUse, before);
  x.dispose();
});

Deno.test("detach cuts the graph", async () => {
  await gpu();
  const x = param([1, 2]);
  const d = scale(x, 2).detach();
  assert.equal(d.requiresGrad, false);
  assert.throws(() => backward(sum(d)), {
    name: "TypeError",
    message: /does not require a gradient: current value is requiresGrad false/,
  });
  clearTape();
  x.dispose();
});

Deno.test("tidy frees what it made when its function throws", async () => {
  const rt = await gpu();
  const before = rt.pool.stats().inUse;
  assert.throws(() =>
    tidy(() => {
      Tensor.empty([1000]);
      throw new Error("boom");
    }), /boom/);
  assert.equal(rt.pool.stats().inUse, before);
});

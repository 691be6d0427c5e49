import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { assertClose, gpu, randn } from "../../tests/check.ts";
import { conv2d } from "../ops/conv2d.ts";
import { convTranspose2d } from "../ops/conv_transpose2d.ts";
import { leakyRelu, relu } from "../ops/elementwise.ts";
import { instanceNorm2d } from "../ops/instance_norm2d.ts";
import { reflectionPad2d } from "../ops/reflection_pad2d.ts";
import { noGrad } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import { initWeights } from "./init.ts";
import {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  InstanceNorm2d,
  type Layer,
  LeakyReLU,
  ReflectionPad2d,
  ReLU,
  Sequential,
  Sigmoid,
  Tanh,
} from "./layers.ts";

const keys = (m: { stateDict(): Map<string, Tensor> }) => [...m.stateDict().keys()];
const shapes = (m: { stateDict(): Map<string, Tensor> }) =>
  [...m.stateDict()].map(([k, t]) => `${k} [${t.shape}]`);
const input = (shape: readonly number[], seed = 1) =>
  Tensor.from(Float32Array.from(randn(shape.reduce((a, b) => a * b), seed)), shape);

Deno.test("Conv2d and ConvTranspose2d: PyTorch's keys and shapes, the ops' results", async () => {
  await gpu();
  const conv = initWeights(new Conv2d(3, 8, { kernelSize: 3, stride: 2, padding: 1 }), {
    seed: 1,
  });
  deepEqual(shapes(conv), ["weight [8,3,3,3]", "bias [8]"]);
  const up = initWeights(
    new ConvTranspose2d(8, 4, { kernelSize: 3, stride: 2, padding: 1, outputPadding: 1 }),
    { seed: 2 },
  );
  deepEqual(shapes(up), ["weight [8,4,3,3]", "bias [4]"]);
  deepEqual(keys(new Conv2d(2, 2, { kernelSize: 1, bias: false })), ["weight"]);
  const x = input([1, 3, 8, 8]);
  const y = conv.forward(x);
  deepEqual(y.shape, [1, 8, 4, 4]);
  const ref = conv2d(x, conv.weight, conv.bias, { stride: 2, padding: 1 });
  deepEqual(await y.data(), await ref.data());
  const z = up.forward(y);
  deepEqual(z.shape, [1, 4, 8, 8]);
  deepEqual(await z.data(), await convTranspose2d(y, up.weight, up.bias).data());
  for (const m of [conv, up]) m.dispose();
});

Deno.test("Conv2d and ConvTranspose2d: bad sizes throw when the layer is made", async () => {
  await gpu();
  throws(() => new Conv2d(0, 8, { kernelSize: 3 }), RangeError);
  throws(() => new Conv2d(3, 8, { kernelSize: 3, stride: 3 }), /stride must be 1 or 2/);
  throws(() => new Conv2d(3, 8, { kernelSize: 3, padding: -1 }), RangeError);
  throws(
    () => new ConvTranspose2d(3, 8, { kernelSize: 3, stride: 1, outputPadding: 1 }),
    /outputPadding must be smaller than the stride 1/,
  );
});

Deno.test("BatchNorm2d: keys, running statistics and num_batches_tracked", async () => {
  await gpu();
  const bn = new BatchNorm2d(3);
  deepEqual(shapes(bn), [
    "weight [3]",
    "bias [3]",
    "running_mean [3]",
    "running_var [3]",
    "num_batches_tracked []",
  ]);
  equal(bn.numBatchesTracked.dtype, "int32");
  deepEqual(bn.parameters(), [bn.weight, bn.bias]);
  const x = input([2, 3, 4, 4]);
  const data = await x.floats();
  bn.forward(x).dispose();
  bn.forward(x).dispose();
  deepEqual(await bn.numBatchesTracked.data(), new Int32Array([2]));
  // Running mean after two updates from zero: (1 - 0.9²) · batch mean.
  const mean = [0, 1, 2].map((c) => {
    let s = 0;
    for (let n = 0; n < 2; n++) for (let i = 0; i < 16; i++) s += data[(n * 3 + c) * 16 + i];
    return (s / 32) * (1 - 0.81);
  });
  assertClose(await bn.runningMean.data(), mean, "running mean");
  bn.eval();
  const y = bn.forward(x);
  deepEqual(await bn.numBatchesTracked.data(), new Int32Array([2]));
  const rm = await bn.runningMean.floats();
  const rv = await bn.runningVar.floats();
  const expected = data.map((v, i) => {
    const c = Math.floor(i / 16) % 3;
    return (v - rm[c]) / Math.sqrt(rv[c] + 1e-5);
  });
  assertClose(await y.data(), expected, "eval-mode batch norm");
  bn.dispose();
});

Deno.test("InstanceNorm2d: no keys, checks its channels", async () => {
  await gpu();
  const norm = new InstanceNorm2d(3);
  deepEqual(keys(norm), []);
  const x = input([1, 3, 4, 4]);
  deepEqual(await norm.forward(x).data(), await instanceNorm2d(x).data());
  throws(() => new InstanceNorm2d(4).forward(x), /must have 4 channels: current shape is/);
});

Deno.test("The parameter-free layers run their ops", async () => {
  await gpu();
  const x = input([1, 2, 4, 6]);
  const v = await x.floats();
  deepEqual((new ReflectionPad2d(1).forward(x)).shape, [1, 2, 6, 8]);
  deepEqual((new ReflectionPad2d([1, 2, 0, 1]).forward(x)).shape, [1, 2, 5, 9]);
  assertClose(await new ReLU().forward(x).data(), v.map((a) => Math.max(a, 0)), "relu");
  assertClose(
    await new LeakyReLU(0.2).forward(x).data(),
    v.map((a) => (a > 0 ? a : 0.2 * a)),
    "leaky relu",
  );
  assertClose(await new Tanh().forward(x).data(), v.map(Math.tanh), "tanh");
  assertClose(await new Sigmoid().forward(x).data(), v.map((a) => 1 / (1 + Math.exp(-a))), "sig");
  const pool = new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false });
  deepEqual(pool.forward(x).shape, [1, 2, 2, 3]);
  throws(() => new LeakyReLU(NaN), RangeError);
});

Deno.test("Sequential: children 0, 1, ...; intermediates freed at once", async () => {
  const rt = await gpu();
  const net = initWeights(
    new Sequential([
      new ReflectionPad2d(1),
      new Conv2d(2, 4, { kernelSize: 3 }),
      new InstanceNorm2d(4),
      new ReLU(),
      new Sequential([new Conv2d(4, 2, { kernelSize: 1 }), new Tanh()]),
    ]),
    { seed: 3 },
  );
  deepEqual(keys(net), ["1.weight", "1.bias", "4.0.weight", "4.0.bias"]);
  const x = input([1, 2, 32, 32]);
  const before = rt.pool.stats().inUse;
  const y = noGrad(() => net.forward(x));
  // Only the output stays: 1·2·32·32 floats.
  equal(rt.pool.stats().inUse - before, 2 * 32 * 32 * 4);
  // The same numbers as the ops chained by hand.
  const c1 = net.layers[1] as Conv2d;
  const inner = (net.layers[4] as Sequential).layers[0] as Conv2d;
  const h = relu(instanceNorm2d(c1.forward(new ReflectionPad2d(1).forward(x))));
  const ref = new Tanh().forward(inner.forward(h));
  assertClose(await y.data(), await ref.data(), "sequential");
  deepEqual(net.eval().layers.map((l) => l.training), [false, false, false, false, false]);
  net.dispose();
});

Deno.test("Sequential: gradients flow through freed intermediates", async () => {
  await gpu();
  const net = initWeights(
    new Sequential([new Conv2d(2, 3, { kernelSize: 3, padding: 1 }), new ReLU(), new Tanh()]),
    { seed: 4 },
  );
  const conv = net.layers[0] as Conv2d;
  const x = input([1, 2, 5, 5]);
  net.forward(x).backward(input([1, 3, 5, 5], 2));
  const freed = await conv.weight.grad!.floats();
  conv.weight.grad = null;
  const dy = input([1, 3, 5, 5], 2);
  new Tanh().forward(relu(conv.forward(x))).backward(dy);
  deepEqual(freed, await conv.weight.grad!.floats());
  ok(freed.some((v) => v !== 0));
  net.dispose();
});

Deno.test("initWeights: pix2pixHD's distributions, repeatable from the seed", async () => {
  await gpu();
  const make = (seed: number) =>
    initWeights(
      new Sequential([
        new Conv2d(64, 64, { kernelSize: 3 }),
        new BatchNorm2d(64),
        new ConvTranspose2d(64, 16, { kernelSize: 3 }),
      ]),
      { seed },
    );
  const a = make(7);
  const b = make(7);
  const c = make(8);
  const stats = (v: Float32Array) => {
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    return { mean, std, max: v.reduce((m, x) => Math.max(m, Math.abs(x)), 0) };
  };
  const [conv, bn, up] = a.layers as [Conv2d, BatchNorm2d, ConvTranspose2d];
  const w = stats(await conv.weight.floats());
  ok(Math.abs(w.mean) < 1e-3 && Math.abs(w.std - 0.02) < 5e-4, JSON.stringify(w));
  const bias = stats(await conv.bias!.floats());
  ok(bias.max <= 1 / Math.sqrt(64 * 9) && bias.max > 0.5 / Math.sqrt(64 * 9));
  // A transposed convolution's fan-in is its weight's dimension 1 (Cout), as PyTorch's.
  ok((await up.bias!.floats()).every((v) => Math.abs(v) <= 1 / Math.sqrt(16 * 9)));
  const g = stats(await bn.weight.floats());
  ok(Math.abs(g.mean - 1) < 0.01 && g.std > 0.01 && g.std < 0.03, JSON.stringify(g));
  deepEqual(await bn.bias.floats(), new Float32Array(64));
  deepEqual(await bn.runningVar.floats(), new Float32Array(64).fill(1));
  for (const [k, t] of a.stateDict()) {
    deepEqual(await t.data(), await b.stateDict().get(k)!.data(), k);
  }
  const other = await (c.layers[0] as Conv2d).weight.floats();
  const first = await conv.weight.floats();
  ok(other.some((v, i) => v !== first[i]), "another seed gives other weights");
  throws(() => initWeights(a, { seed: 1.5 }), TypeError);
  for (const m of [a, b, c]) m.dispose();
});

// Pairs Sequential runs as one op, each against the unfused ops: the same outputs and gradients
// bit for bit, in fewer dispatches; a padding of unequal sides is not fused.
const FUSED: {
  name: string;
  layers: () => Layer[];
  plain: (x: Tensor, c: Conv2d) => Tensor;
  saved: number;
}[] = [
  {
    name: "an instance norm and its ReLU",
    layers:
      () => [new Conv2d(2, 3, { kernelSize: 3, padding: 1 }), new InstanceNorm2d(3), new ReLU()],
    plain: (x, c) => relu(instanceNorm2d(c.forward(x))),
    saved: 2,
  },
  {
    name: "an instance norm and its LeakyReLU",
    layers: () => [
      new Conv2d(2, 3, { kernelSize: 4, stride: 2, padding: 2 }),
      new InstanceNorm2d(3),
      new LeakyReLU(0.2),
    ],
    plain: (x, c) => leakyRelu(instanceNorm2d(c.forward(x)), 0.2),
    saved: 2,
  },
  {
    name: "a convolution and its ReLU",
    layers: () => [new Conv2d(2, 3, { kernelSize: 3, padding: 1 }), new ReLU()],
    plain: (x, c) => relu(c.forward(x)),
    saved: 1,
  },
  {
    name: "a convolution and its LeakyReLU",
    layers: () => [new Conv2d(2, 3, { kernelSize: 4, stride: 2, padding: 2 }), new LeakyReLU(0.2)],
    plain: (x, c) => leakyRelu(c.forward(x), 0.2),
    saved: 1,
  },
  {
    name: "a convolution and a LeakyReLU of negative slope (not fused)",
    layers: () => [new Conv2d(2, 3, { kernelSize: 3 }), new LeakyReLU(-0.5)],
    plain: (x, c) => leakyRelu(c.forward(x), -0.5),
    saved: 0,
  },
  {
    name: "a reflection padding and its 3×3 convolution",
    layers: () => [new ReflectionPad2d(1), new Conv2d(2, 3, { kernelSize: 3 })],
    plain: (x, c) => c.forward(reflectionPad2d(x, 1)),
    saved: 1,
  },
  {
    name: "a reflection padding and its 7×7 convolution",
    layers: () => [new ReflectionPad2d([3, 3, 3, 3]), new Conv2d(2, 3, { kernelSize: 7 })],
    plain: (x, c) => c.forward(reflectionPad2d(x, 3)),
    saved: 1,
  },
  {
    name: "a reflection padding of unequal sides and its convolution (not fused)",
    layers: () => [new ReflectionPad2d([1, 2, 1, 1]), new Conv2d(2, 3, { kernelSize: 3 })],
    plain: (x, c) => c.forward(reflectionPad2d(x, [1, 2, 1, 1])),
    saved: 0,
  },
];

for (const { name, layers, plain, saved } of FUSED) {
  Deno.test(`Sequential with ${name}: the plain ops' outputs and gradients bit for bit, in ${saved} fewer dispatches`, async () => {
    const rt = await gpu();
    const net = initWeights(new Sequential(layers()), { seed: 5 });
    const conv = net.layers.find((l) => l instanceof Conv2d) as Conv2d;
    const x = input([1, 2, 9, 10], 6);
    x.requiresGrad = true;
    const grads = async (fn: () => Tensor) => {
      const before = rt.dispatches;
      const y = fn();
      const dy = input(y.shape, 7);
      y.backward(dy);
      const dispatches = rt.dispatches - before;
      const out = [await y.data(), await conv.weight.grad!.data(), await x.grad!.data()];
      for (const t of [conv.weight, conv.bias!, x]) {
        t.grad!.dispose();
        t.grad = null;
      }
      y.dispose(), dy.dispose();
      return { out, dispatches };
    };
    const fused = await grads(() => net.forward(x));
    const ref = await grads(() => plain(x, conv));
    deepEqual(fused.out, ref.out);
    equal(fused.dispatches, ref.dispatches - saved);
    net.dispose(), x.dispose();
  });
}

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { gpu, randn } from "../../../tests/check.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { isGradEnabled, noGrad, tapeLength } from "../../tensor/autograd.ts";
import { sum } from "../../ops/reduce.ts";
import { defineG } from "./define_g.ts";
import { Encoder } from "./encoder.ts";
import { GlobalGenerator } from "./global_generator.ts";
import { LocalEnhancer } from "./local_enhancer.ts";
import { normLayer } from "./norm.ts";

const keys = (m: { stateDict(): Map<string, Tensor> }) => [...m.stateDict().keys()];
const input = (shape: number[], seed = 1) =>
  Tensor.from(Float32Array.from(randn(shape.reduce((a, b) => a * b), seed)), shape);
const bn = (prefix: string) =>
  ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map((k) =>
    `${prefix}.${k}`
  );
const wb = (prefix: string) => [`${prefix}.weight`, `${prefix}.bias`];

Deno.test("GlobalGenerator with --norm batch: the norms' keys between the convolutions'", async () => {
  await gpu();
  const g = new GlobalGenerator(5, 3, { ngf: 4, nDownsampling: 1, nBlocks: 1, norm: "batch" });
  deepEqual(keys(g), [
    ...wb("model.1"),
    ...bn("model.2"),
    ...wb("model.4"),
    ...bn("model.5"),
    ...wb("model.7.conv_block.1"),
    ...bn("model.7.conv_block.2"),
    ...wb("model.7.conv_block.5"),
    ...bn("model.7.conv_block.6"),
    ...wb("model.8"),
    ...bn("model.9"),
    ...wb("model.12"),
  ]);
  deepEqual(g.stateDict().get("model.8.weight")!.shape, [8, 4, 3, 3]);
  const x = input([2, 5, 8, 8]);
  const y = noGrad(() => g.forward(x));
  deepEqual(y.shape, [2, 3, 8, 8]);
  deepEqual(await g.stateDict().get("model.2.num_batches_tracked")!.data(), new Int32Array([1]));
  g.eval();
  noGrad(() => g.forward(x));
  deepEqual(await g.stateDict().get("model.2.num_batches_tracked")!.data(), new Int32Array([1]));
  g.dispose();
});

Deno.test("LocalEnhancer: any number of enhancers, keys model{n}_1 and model{n}_2", async () => {
  await gpu();
  const g = defineG({
    netG: "local",
    inputNc: 4,
    ngf: 2,
    nDownsampleGlobal: 1,
    nBlocksGlobal: 1,
    nLocalEnhancers: 2,
    nBlocksLocal: 1,
    seed: 3,
  });
  ok(g instanceof LocalEnhancer);
  const k = keys(g);
  // The global part (ngf 8) ends at its last upsampling's norm and ReLU (model.8 .. model.10).
  deepEqual(k.filter((key) => key.startsWith("model.")), [
    ...wb("model.1"),
    ...wb("model.4"),
    ...wb("model.7.conv_block.1"),
    ...wb("model.7.conv_block.5"),
    ...wb("model.8"),
  ]);
  deepEqual(k.filter((key) => !key.startsWith("model.")), [
    ...wb("model1_1.1"),
    ...wb("model1_1.4"),
    ...wb("model1_2.0.conv_block.1"),
    ...wb("model1_2.0.conv_block.5"),
    ...wb("model1_2.1"),
    ...wb("model2_1.1"),
    ...wb("model2_1.4"),
    ...wb("model2_2.0.conv_block.1"),
    ...wb("model2_2.0.conv_block.5"),
    ...wb("model2_2.1"),
    ...wb("model2_2.5"),
  ]);
  const sd = g.stateDict();
  deepEqual(sd.get("model.1.weight")!.shape, [8, 4, 7, 7]);
  deepEqual(sd.get("model1_1.4.weight")!.shape, [8, 4, 3, 3]);
  deepEqual(sd.get("model2_1.4.weight")!.shape, [4, 2, 3, 3]);
  deepEqual(sd.get("model2_2.5.weight")!.shape, [3, 2, 7, 7]);
  const x = input([1, 4, 16, 24]);
  const y = noGrad(() => g.forward(x));
  deepEqual(y.shape, [1, 3, 16, 24]);
  throws(() => g.forward(input([1, 4, 12, 24])), /levels must line up.*multiples of 8/);
  g.dispose();
});

Deno.test("LocalEnhancer: a backward pass reaches every parameter and empties the tape", async () => {
  await gpu();
  const g = defineG({
    netG: "local",
    inputNc: 3,
    ngf: 2,
    nDownsampleGlobal: 1,
    nBlocksGlobal: 1,
    nBlocksLocal: 1,
  });
  ok(isGradEnabled());
  const loss = sum(g.forward(input([1, 3, 8, 8])));
  loss.backward();
  equal(tapeLength(), 0);
  for (const [key, p] of g.namedParameters()) ok(p.grad, `${key} has a gradient`);
  const grad = await g.stateDict().get("model.1.weight")!.grad!.floats();
  ok(grad.some((v) => v !== 0));
  g.dispose();
});

Deno.test("Encoder: the keys of define_G(3, 3, 16, 'encoder', 4) and pooled features", async () => {
  await gpu();
  const e = defineG({ netG: "encoder", inputNc: 3, outputNc: 3, ngf: 2, nDownsampleGlobal: 2 });
  ok(e instanceof Encoder);
  deepEqual(keys(e), [
    ...wb("model.1"),
    ...wb("model.4"),
    ...wb("model.7"),
    ...wb("model.10"),
    ...wb("model.13"),
    ...wb("model.17"),
  ]);
  const image = input([1, 3, 8, 8]);
  const inst = Tensor.from(Int32Array.from({ length: 64 }, (_, i) => (i < 24 ? 7 : 26001)), [
    1,
    1,
    8,
    8,
  ]);
  const pooled = await noGrad(() => e.forward(image, inst, [7, 26001])).floats();
  const raw = await e.encode(image).floats();
  for (let c = 0; c < 3; c++) {
    const plane = raw.subarray(c * 64, c * 64 + 64);
    const mean = plane.subarray(0, 24).reduce((a, b) => a + b) / 24;
    ok(Math.abs(pooled[c * 64 + 5] - mean) < 1e-6);
  }
  e.dispose();
});

Deno.test("defineG and normLayer: unknown choices throw", async () => {
  await gpu();
  throws(
    () => defineG({ netG: "unet" as "global", inputNc: 3 }),
    /netG must be "global", "local" or "encoder": current value is "unet"/,
  );
  throws(() => normLayer("group" as "batch", 4), RangeError);
  throws(() => new GlobalGenerator(3, 3, { nBlocks: -1 }), /nBlocks must be an integer/);
});

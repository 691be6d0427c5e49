import { deepEqual, ok } from "node:assert/strict";
import { gpu, randn } from "../../../tests/check.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { noGrad, tapeLength } from "../../tensor/autograd.ts";
import { add } from "../../ops/elementwise.ts";
import { sum } from "../../ops/reduce.ts";
import { defineD } from "./define_d.ts";
import { MultiscaleDiscriminator } from "./multiscale_discriminator.ts";
import { NLayerDiscriminator } from "./nlayer_discriminator.ts";

const keys = (m: { stateDict(): Map<string, Tensor> }) => [...m.stateDict().keys()];
const input = (shape: number[], seed = 1) =>
  Tensor.from(Float32Array.from(randn(shape.reduce((a, b) => a * b), seed)), shape);
const wb = (prefix: string) => [`${prefix}.weight`, `${prefix}.bias`];

Deno.test("MultiscaleDiscriminator without getIntermFeat: flat layer{i} keys", async () => {
  await gpu();
  const d = defineD({ inputNc: 5, ndf: 4, numD: 2, getIntermFeat: false });
  deepEqual(
    keys(d),
    [0, 1].flatMap((i) => [0, 2, 5, 8, 11].flatMap((j) => wb(`layer${i}.${j}`))),
  );
  const outputs = noGrad(() => d.forward(input([1, 5, 32, 32])));
  deepEqual(outputs.map((o) => o.map((t) => t.shape.join("x"))), [["1x1x7x7"], ["1x1x5x5"]]);
  d.dispose();
});

Deno.test("Discriminators: channels stop at 512; --norm batch keys; n_layers_D", async () => {
  await gpu();
  const d = new NLayerDiscriminator(3, { ndf: 128, nLayers: 4, norm: "batch" });
  const shapes = [...d.stateDict()].filter(([k]) => k.endsWith("weight")).map(([k, t]) =>
    `${k} [${t.shape}]`
  );
  deepEqual(shapes, [
    "model.0.weight [128,3,4,4]",
    "model.2.weight [256,128,4,4]",
    "model.3.weight [256]",
    "model.5.weight [512,256,4,4]",
    "model.6.weight [512]",
    "model.8.weight [512,512,4,4]",
    "model.9.weight [512]",
    "model.11.weight [512,512,4,4]",
    "model.12.weight [512]",
    "model.14.weight [1,512,4,4]",
  ]);
  const m = new MultiscaleDiscriminator(3, { ndf: 4, numD: 1, getIntermFeat: true, norm: "batch" });
  deepEqual(keys(m).filter((k) => k.startsWith("scale0_layer1")), [
    ...wb("scale0_layer1.0"),
    "scale0_layer1.1.weight",
    "scale0_layer1.1.bias",
    "scale0_layer1.1.running_mean",
    "scale0_layer1.1.running_var",
    "scale0_layer1.1.num_batches_tracked",
  ]);
  ok(m.eval().scales.every((s) => !s.training));
  for (const net of [d, m]) net.dispose();
});

Deno.test("Discriminators: useSigmoid scores in (0, 1), with or without getIntermFeat", async () => {
  await gpu();
  const x = input([1, 3, 16, 16]);
  for (const getIntermFeat of [true, false]) {
    const d = defineD({ inputNc: 3, ndf: 4, numD: 2, useSigmoid: true, getIntermFeat, seed: 2 });
    const outputs = noGrad(() => d.forward(x));
    for (const scale of outputs) {
      deepEqual(scale.length, getIntermFeat ? 5 : 1);
      const scores = await scale.at(-1)!.floats();
      ok(scores.every((v) => v > 0 && v < 1), `getIntermFeat ${getIntermFeat}`);
    }
    // The sigmoid has no parameters: the keys are those of the plain discriminator.
    const plain = defineD({ inputNc: 3, ndf: 4, numD: 2, getIntermFeat });
    deepEqual(keys(d), keys(plain));
    // Each says whether it ends in a sigmoid, as do its scales.
    deepEqual([d.sigmoid, ...d.scales.map((s) => s.sigmoid)], [true, true, true]);
    deepEqual([plain.sigmoid, ...plain.scales.map((s) => s.sigmoid)], [false, false, false]);
    for (const net of [d, plain]) net.dispose();
  }
});

Deno.test("MultiscaleDiscriminator: a backward pass from every output reaches every weight", async () => {
  await gpu();
  const d = defineD({ inputNc: 3, ndf: 4, numD: 3, seed: 1 });
  const x = input([1, 3, 32, 32]);
  const outputs = d.forward(x);
  deepEqual(outputs.map((o) => o.length), [5, 5, 5]);
  const total = outputs.flat().map((t) => sum(t)).reduce((a, b) => add(a, b));
  total.backward();
  deepEqual(tapeLength(), 0);
  for (const [key, p] of d.namedParameters()) ok(p.grad, `${key} has a gradient`);
  d.dispose();
});

Deno.test("defineD's defaults: the reference's parameter counts for 2 and 3 scales", async () => {
  await gpu();
  for (const [numD, params, tensors] of [[2, 5_603_202, 20], [3, 8_404_803, 30]]) {
    const d = defineD({ inputNc: 39, numD });
    const ps = d.parameters();
    deepEqual([ps.reduce((n, p) => n + p.size, 0), ps.length], [params, tensors]);
    d.dispose();
  }
});

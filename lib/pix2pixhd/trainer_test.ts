import assert from "node:assert/strict";
import { assertClose, gpu, rng } from "../../tests/check.ts";
import type { Batch } from "../data/batch.ts";
import { runtime } from "../gpu/kernel.ts";
import { avgPool2d } from "../ops/avg_pool2d.ts";
import { add, scale, tanh } from "../ops/elementwise.ts";
import { labelMap } from "../ops/label_maps.ts";
import { Adam } from "../optim/adam.ts";
import { clearTape, tapeLength } from "../tensor/autograd.ts";
import { Tensor, tidy } from "../tensor/tensor.ts";
import { uniqueIds } from "../ops/instance_pool.ts";
import { batchInputs, discriminatorInput, generatorInput } from "./input.ts";
import { featureMatchingLoss, ganLoss, vggLoss } from "./losses.ts";
import { defineD } from "./networks/define_d.ts";
import { defineG } from "./networks/define_g.ts";
import { type DiscriminatorNet, type Losses, Trainer, type TrainerOptions } from "./trainer.ts";

const [H, W, CLASSES] = [16, 16, 3];

const makeG = () =>
  defineG({
    netG: "global",
    inputNc: CLASSES + 1,
    ngf: 4,
    nDownsampleGlobal: 2,
    nBlocksGlobal: 1,
    seed: 1,
  });
const makeD = (useSigmoid = false) =>
  defineD({ inputNc: CLASSES + 4, ndf: 4, nLayersD: 2, numD: 2, useSigmoid, seed: 2 });

/** A stand-in for VGG19: five differentiable maps of the image. */
const vgg = {
  forward: (x: Tensor) => {
    const half = avgPool2d(x, 2);
    return [x, tanh(x), half, scale(half, 3), avgPool2d(half, 2)];
  },
};

function batch(seed: number): Batch {
  const u = rng(seed);
  const label = Uint8Array.from(
    { length: H * W },
    (_, i) => (i % W < W / 2 ? 0 : 1) + (u() < 0.2 ? 1 : 0),
  );
  const inst = Int32Array.from(label, (v, i) => v * 1000 + (i < W * 4 ? 1 : 0));
  const image = Uint8Array.from({ length: H * W * 3 }, () => Math.floor(u() * 256));
  return {
    size: 1,
    width: W,
    height: H,
    label,
    labelChannels: 1,
    inst,
    image,
    indices: [0],
    entries: [],
  };
}

/**
 * G's losses of one iteration by hand, D on the fake and on the real image, with the G loss's
 * backward pass run: [G_GAN, G_GAN_Feat, G_VGG].
 */
function gLossesByHand(netD: DiscriminatorNet, label: Tensor, image: Tensor, fake: Tensor) {
  const predReal = netD.forward(discriminatorInput(label, image));
  const predFake = netD.forward(discriminatorInput(label, fake));
  const gGan = ganLoss(predFake, true);
  const gFeat = featureMatchingLoss(predFake, predReal);
  const gVgg = vggLoss(vgg, fake, image);
  add(add(gGan, gFeat), gVgg).backward();
  return [gGan, gFeat, gVgg];
}

async function values(ts: Tensor[]): Promise<Float32Array[]> {
  return await Promise.all(ts.map((t) => t.data() as Promise<Float32Array>));
}

Deno.test("Trainer.step: the five losses, then G from the G loss and D from the D loss alone", async () => {
  await gpu();
  const options: TrainerOptions = { labelNc: CLASSES, lr: 0.01 };
  const netG = makeG();
  const netD = makeD();
  const trainer = new Trainer({ netG, netD, vgg }, options);
  const b = batch(1);
  const losses = await trainer.step(b);

  // The same iteration by hand, in another order, with D's gradients from the G loss dropped.
  const g2 = makeG();
  const d2 = makeD();
  const optG = new Adam(g2.parameters(), { lr: 0.01, betas: [0.5, 0.999] });
  const optD = new Adam(d2.parameters(), { lr: 0.01, betas: [0.5, 0.999] });
  const expected = tidy(() => {
    const { label, image } = batchInputs(b, options);
    const fake = g2.forward(label);
    const [gGan, gFeat, gVgg] = gLossesByHand(d2, label, image!, fake);
    optG.step();
    optD.zeroGrad();
    const dFake = ganLoss(d2.forward(discriminatorInput(label, fake.detach())), false);
    const dReal = ganLoss(d2.forward(discriminatorInput(label, image!)), true);
    scale(add(dReal, dFake), 0.5).backward();
    optD.step();
    return [gGan, gFeat, gVgg, dReal, dFake];
  });
  clearTape();
  const want = (await values(expected)).map((v) => v[0]);
  assertClose(Object.values(losses), want, "losses", { atol: 0, rtol: 1e-6 });
  assert.deepEqual(Object.keys(losses), ["G_GAN", "G_GAN_Feat", "G_VGG", "D_real", "D_fake"]);
  assert.ok(Object.values(losses).every((v) => v > 0));
  for (const [a, b2] of [[netG, g2], [netD, d2]] as const) {
    const got = await values(a.parameters());
    const ref = await values(b2.parameters());
    got.forEach((v, i) => assertClose(v, ref[i], `parameter ${i}`, { atol: 1e-7, rtol: 0 }));
  }
  for (const t of expected) t.dispose();
  for (const m of [netG, netD, g2, d2, optG, optD, trainer]) m.dispose();
});

Deno.test("Trainer with an encoder (--instance_feat, --label_feat): E's pooled features join G's input and E trains with G", async () => {
  await gpu();
  const FEAT = 3;
  const makeGF = () =>
    defineG({
      netG: "global",
      inputNc: CLASSES + 1 + FEAT,
      ngf: 4,
      nDownsampleGlobal: 2,
      nBlocksGlobal: 1,
      seed: 1,
    });
  const makeE = () =>
    defineG({ netG: "encoder", inputNc: 3, outputNc: FEAT, ngf: 4, nDownsampleGlobal: 2, seed: 3 });
  const b = batch(7);
  for (const labelFeat of [false, true]) {
    const options: TrainerOptions = { labelNc: CLASSES, lr: 0.01, labelFeat };
    const [netG, netD, netE] = [makeGF(), makeD(), makeE()];
    const trainer = new Trainer({ netG, netD, netE, vgg }, options);
    const initialE = await values(netE.parameters());
    const losses = await trainer.step(b);

    // G's half of the same iteration by hand: E over the real photo, pooled per instance (or
    // per label), concatenated to G's input; one Adam over G's and E's parameters.
    const [g2, d2, e2] = [makeGF(), makeD(), makeE()];
    const optG = new Adam([...g2.parameters(), ...e2.parameters()], {
      lr: 0.01,
      betas: [0.5, 0.999],
    });
    const gLosses = tidy(() => {
      const { label, image, inst, labelIds } = batchInputs(b, options);
      const map = labelFeat ? labelIds! : inst!;
      const features = e2.forward(image!, map, uniqueIds(labelFeat ? b.label : b.inst!));
      const fake = g2.forward(generatorInput(label, features));
      const losses = gLossesByHand(d2, label, image!, fake);
      optG.step();
      return losses;
    });
    clearTape();
    const want = (await values(gLosses)).map((v) => v[0]);
    assertClose([losses.G_GAN, losses.G_GAN_Feat, losses.G_VGG], want, "G losses", {
      atol: 0,
      rtol: 1e-6,
    });
    const gotE = await values(netE.parameters());
    const refE = await values(e2.parameters());
    gotE.forEach((v, i) => {
      assertClose(v, refE[i], `E parameter ${i}`, { atol: 1e-7, rtol: 0 });
      assert.ok(v.some((x, j) => x !== initialE[i][j]), `E parameter ${i} did not train`);
    });
    for (const t of gLosses) t.dispose();
    for (const m of [netG, netD, netE, g2, d2, e2, optG, trainer]) m.dispose();
  }
});

Deno.test("Trainer.step frees its tape and buffers: memory stays flat over steps", async () => {
  await gpu();
  const netG = makeG();
  const netD = makeD();
  const trainer = new Trainer({ netG, netD, vgg }, { labelNc: CLASSES, poolSize: 2, poolSeed: 3 });
  const inUse: number[] = [];
  for (let i = 0; i < 5; i++) {
    await trainer.step(batch(10 + i));
    inUse.push(runtime().pool.stats().inUse);
    assert.equal(tapeLength(), 0);
  }
  assert.equal(inUse[4], inUse[1]);
  for (const m of [netG, netD, trainer]) m.dispose();
});

Deno.test("Trainer flags: --no_ganFeat_loss, --no_vgg_loss, --no_lsgan with and without a sigmoid D", async () => {
  await gpu();
  const b = batch(4);
  const run = async (options: TrainerOptions, useSigmoid = false): Promise<Losses> => {
    const netG = makeG();
    const netD = defineD({
      inputNc: CLASSES + 4,
      ndf: 4,
      nLayersD: 2,
      numD: 2,
      useSigmoid,
      getIntermFeat: !options.noGanFeatLoss,
      seed: 2,
    });
    const trainer = new Trainer({ netG, netD, vgg }, options);
    const losses = await trainer.step(b);
    for (const m of [netG, netD, trainer]) m.dispose();
    return losses;
  };
  const base = await run({ labelNc: CLASSES });
  const plain = await run({ labelNc: CLASSES, noGanFeatLoss: true, noVggLoss: true });
  assert.equal(plain.G_GAN_Feat, 0);
  assert.equal(plain.G_VGG, 0);
  for (const k of ["G_GAN", "D_real", "D_fake"] as const) assert.equal(plain[k], base[k]);

  // BCE: a D ending in a sigmoid and a raw D scored through the loss's sigmoid agree.
  const inD = await run({ labelNc: CLASSES, noLsgan: true }, true);
  const inLoss = await run({ labelNc: CLASSES, noLsgan: true });
  assertClose(Object.values(inD), Object.values(inLoss), "BCE losses", { atol: 0, rtol: 1e-6 });
  assert.notEqual(inD.G_GAN, base.G_GAN);
  assert.equal(inD.G_GAN_Feat, base.G_GAN_Feat);
  const bceOnly = await run({ labelNc: CLASSES, noLsgan: true, noGanFeatLoss: true }, true);
  assertClose([bceOnly.G_GAN], [inD.G_GAN], "BCE without feature matching", {
    atol: 0,
    rtol: 1e-6,
  });
});

Deno.test("Trainer.generate records no tape; the trainer refuses what it cannot train", async () => {
  await gpu();
  const netG = makeG();
  const netD = makeD();
  const trainer = new Trainer({ netG, netD }, { labelNc: CLASSES, noVggLoss: true });
  const b = batch(5);
  const label = labelMap(b.label, [1, 1, H, W], CLASSES);
  const inst = Tensor.from(b.inst!, [1, 1, H, W]);
  const before = runtime().pool.stats().inUse;
  const image = trainer.generate(label, inst);
  assert.deepEqual(image.shape, [1, 3, H, W]);
  assert.equal(tapeLength(), 0);
  assert.equal(image.requiresGrad, false);
  image.dispose();
  assert.equal(runtime().pool.stats().inUse, before);
  trainer.lr = 0.001;
  assert.equal(trainer.optimizerD.lr, 0.001);
  assert.throws(() => (trainer.lr = -1), RangeError);

  assert.throws(() => new Trainer({ netG, netD }, { labelNc: CLASSES }), {
    name: "TypeError",
    message: /no VGG19 was given/,
  });
  const sigmoidD = makeD(true);
  assert.throws(() => new Trainer({ netG, netD: sigmoidD, vgg }, { labelNc: CLASSES }), {
    name: "TypeError",
    message: /ends in a sigmoid/,
  });
  await assert.rejects(() => trainer.step({ ...b, image: undefined }), {
    name: "TypeError",
    message: /without photos/,
  });
  assert.equal(tapeLength(), 0);
  for (const m of [netG, netD, sigmoidD, trainer, label, inst]) m.dispose();
});

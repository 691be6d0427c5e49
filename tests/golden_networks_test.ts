/**
 * Parity of the networks with NVIDIA's pix2pixHD on the golden set: the checkpoints' keys and
 * shapes, strict loads, the generator's test outputs and the encoder's features within 1e-4, and
 * the load reports.
 */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { openCheckpoint } from "../lib/io/open_checkpoint.ts";
import { saveCheckpoint } from "../lib/io/save_checkpoint.ts";
import type { TensorData } from "../lib/io/tensor_data.ts";
import { avgPool2d } from "../lib/ops/avg_pool2d.ts";
import { conv2d } from "../lib/ops/conv2d.ts";
import { leakyRelu } from "../lib/ops/elementwise.ts";
import { uniqueIds } from "../lib/ops/instance_pool.ts";
import { defineD, defineG } from "../lib/pix2pixhd/networks/mod.ts";
import { noGrad } from "../lib/tensor/autograd.ts";
import { Tensor } from "../lib/tensor/tensor.ts";
import { gpu, randn } from "./check.ts";
import { ckpt, D, E, G, golden, loaded, tiny } from "./golden.ts";
import { readNpy } from "./npy.ts";

const ignore = golden === undefined;
const TESTS = [
  "synthtest_000000_000019_gtFine_labelIds",
  "synthtest_000001_000019_gtFine_labelIds",
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

async function npyTensor(path: string): Promise<Tensor> {
  const { shape, data } = await readNpy(path);
  return Tensor.from(data, shape);
}

Deno.test({
  name: "golden: G, D and E have the checkpoints' keys and shapes, in order",
  ignore,
  async fn() {
    await gpu();
    for (
      const [net, module] of [["G", defineG(G)], ["D", defineD(D)], ["E", defineG(E)]] as const
    ) {
      using checkpoint = await openCheckpoint(ckpt(net));
      const ours = [...module.stateDict()].map(([k, t]) => `${k} [${t.shape}]`);
      const theirs = [...checkpoint.tensors].map(([k, t]) => `${k} [${t.shape}]`);
      deepEqual(ours, theirs, net);
      const report = await module.loadStateDict(checkpoint.tensors);
      deepEqual(report.loaded, checkpoint.keys());
      const key = checkpoint.keys().at(-1)!;
      const want = (await checkpoint.read(key)).data as Float32Array;
      deepEqual(await module.stateDict().get(key)!.data(), want, `${net} ${key}`);
      module.dispose();
    }
  },
});

Deno.test({
  name: "golden: G gives pix2pixHD's test outputs within 1e-4, keeping only its output",
  ignore,
  async fn() {
    const rt = await gpu();
    const g = (await loaded(defineG(G), ckpt("G"))).eval();
    for (const name of TESTS) {
      const x = await npyTensor(`${tiny}/test/${name}_G_input.npy`);
      const want = await readNpy(`${tiny}/test/${name}_G_output.npy`);
      const before = rt.pool.stats().inUse;
      const y = noGrad(() => g.forward(x));
      // The output's buffer may be a kept one up to 1.5× its size (the pool's best fit).
      equal(rt.pool.stats().inUse - before, y.buffer.size, "only the output is left");
      deepEqual(y.shape, want.shape);
      const err = maxAbsDiff(await y.floats(), want.data);
      ok(err <= 1e-4, `${name}: max abs error ${err}`);
      x.dispose(), y.dispose();
    }
    g.dispose();
  },
});

Deno.test({
  name: "golden: E gives pix2pixHD's raw and instance-pooled features within 1e-4",
  ignore,
  async fn() {
    await gpu();
    const e = await loaded(defineG(E), ckpt("E"));
    const image = await npyTensor(`${tiny}/encoder/E_input_image.npy`);
    const instNpy = await readNpy(`${tiny}/encoder/E_input_inst.npy`);
    const inst = Tensor.from(instNpy.data, instNpy.shape);
    const [raw, pooled] = noGrad(() => [
      e.encode(image),
      e.forward(image, inst, uniqueIds(instNpy.data)),
    ]);
    for (const [what, y] of [["raw", raw], ["pooled", pooled]] as const) {
      const want = await readNpy(`${tiny}/encoder/E_${what}_output.npy`);
      deepEqual(y.shape, want.shape);
      const err = maxAbsDiff(await y.floats(), want.data);
      ok(err <= 1e-4, `E ${what}: max abs error ${err}`);
    }
    for (const t of [image, inst, raw, pooled]) t.dispose();
    e.dispose();
  },
});

Deno.test({
  name: "golden: D's outputs per scale, full resolution first",
  ignore,
  async fn() {
    await gpu();
    const d = await loaded(defineD(D), ckpt("D"));
    const x = Tensor.from(Float32Array.from(randn(39 * 64 * 128, 3)), [1, 39, 64, 128]);
    const outputs = noGrad(() => d.forward(x));
    deepEqual(
      outputs.map((scale) => scale.map((t) => t.shape.join("x"))),
      [
        ["1x16x33x65", "1x32x17x33", "1x64x9x17", "1x128x10x18", "1x1x11x19"],
        ["1x16x17x33", "1x32x9x17", "1x64x5x9", "1x128x6x10", "1x1x7x11"],
      ],
    );
    // The full-resolution list comes from scale1's weights, the half-resolution one from scale0's.
    const sd = d.stateDict();
    const first = (i: number, input: Tensor) =>
      leakyRelu(
        conv2d(input, sd.get(`scale${i}_layer0.0.weight`)!, sd.get(`scale${i}_layer0.0.bias`)!, {
          stride: 2,
          padding: 2,
        }),
        0.2,
      );
    const half = avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false });
    deepEqual(await outputs[0][0].floats(), await first(1, x).floats());
    deepEqual(await outputs[1][0].floats(), await first(0, half).floats());
    outputs.flat().forEach((t) => t.dispose());
    d.dispose();
  },
});

Deno.test({
  name: "golden: a strict load names every missing, unexpected and mis-shaped key at once",
  ignore,
  async fn() {
    await gpu();
    // A global generator with the local one's global part, but 35 input channels.
    const g = defineG({ ...G, netG: "global", inputNc: 35, ngf: 32 });
    const before = await g.stateDict().get("model.4.weight")!.floats();
    using checkpoint = await openCheckpoint(ckpt("G"));
    await rejects(g.loadStateDict(checkpoint.tensors), (e: Error) => {
      ok(e instanceof TypeError, String(e));
      ok(e.message.includes("2 missing (model.26.weight, model.26.bias)"), e.message);
      ok(
        / 16 unexpected \(model1_1\.1\.weight, model1_1\.1\.bias, .*, model1_2\.6\.bias\), /.test(
          e.message,
        ),
        e.message,
      );
      ok(
        e.message.includes(
          "1 mis-shaped (model.1.weight: [32,36,7,7] where the module has [32,35,7,7])",
        ),
      );
      return true;
    });
    deepEqual(await g.stateDict().get("model.4.weight")!.floats(), before, "nothing loaded");
    g.dispose();
  },
});

Deno.test({
  name: "golden: a global G checkpoint loads into a local G only with strict false",
  ignore,
  async fn() {
    await gpu();
    // The golden local G's global part, saved as a global generator's checkpoint (with model.26).
    const global = defineG({ ...G, netG: "global", ngf: 32, seed: 5 });
    const partial = await global.loadStateDict((await openCheckpoint(ckpt("G"))).tensors, {
      strict: false,
    });
    deepEqual(partial.missing, ["model.26.weight", "model.26.bias"]);
    const entries: [string, TensorData][] = [];
    for (const [key, t] of global.stateDict()) {
      entries.push([key, { dtype: "float32", shape: t.shape, data: await t.floats() }]);
    }
    const path = await Deno.makeTempFile({ suffix: ".pth" });
    try {
      await saveCheckpoint(path, entries);
      const local = defineG({ ...G, seed: 6 });
      using checkpoint = await openCheckpoint(path);
      await rejects(
        local.loadStateDict(checkpoint.tensors),
        /16 missing \(model1_1\.1\.weight, .*\), 2 unexpected \(model\.26\.weight, model\.26\.bias\)$/,
      );
      const report = await local.loadStateDict(checkpoint.tensors, { strict: false });
      deepEqual(report.unexpected, ["model.26.weight", "model.26.bias"]);
      deepEqual(report.misshaped, []);
      ok(report.missing.length === 16 && report.missing.every((k) => k.startsWith("model1_")));
      deepEqual(report.loaded, entries.map(([k]) => k).filter((k) => !k.startsWith("model.26")));
      const key = "model.13.conv_block.5.weight";
      deepEqual(
        await local.stateDict().get(key)!.floats(),
        await checkpoint.read(key).then((t) => t.data),
      );
      local.dispose();
    } finally {
      await Deno.remove(path);
      global.dispose();
    }
  },
});

import assert from "node:assert/strict";
import { assertClose, gpu, randn } from "../../tests/check.ts";
import { goldenDir } from "../io/_test_utils.ts";
import { openCheckpoint } from "../io/open_checkpoint.ts";
import { saveCheckpoint } from "../io/save_checkpoint.ts";
import type { TensorData, TensorSource } from "../io/tensor_data.ts";
import { toFloat32 } from "../io/to_float32.ts";
import { tapeLength } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor.ts";
import { loadVgg19, Vgg19, VGG19_SLICES } from "./vgg19.ts";

const golden = goldenDir();
const weights = `${golden}/tiny/vgg19_random.pth`;
const CONVS = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28];

/** float64 VGG19 features[0:30] on (1, 3, H, W), returning relu1_1 ... relu5_1. */
function reference(
  x: Float64Array,
  h: number,
  w: number,
  params: Map<string, Float32Array>,
): Float64Array[] {
  let c = 3;
  let y = x;
  const out: Float64Array[] = [];
  const ends = VGG19_SLICES.map(([, end]) => end - 1);
  for (let i = 0; i < 30; i++) {
    const weight = params.get(`features.${i}.weight`);
    if (weight) {
      const bias = params.get(`features.${i}.bias`)!;
      const co = bias.length;
      const z = new Float64Array(co * h * w);
      for (let o = 0; o < co; o++) {
        for (let r = 0; r < h; r++) {
          for (let s = 0; s < w; s++) {
            let acc = bias[o];
            for (let k = 0; k < c; k++) {
              for (let dr = 0; dr < 3; dr++) {
                const rr = r + dr - 1;
                if (rr < 0 || rr >= h) continue;
                for (let ds = 0; ds < 3; ds++) {
                  const ss = s + ds - 1;
                  if (ss < 0 || ss >= w) continue;
                  acc += weight[((o * c + k) * 3 + dr) * 3 + ds] * y[(k * h + rr) * w + ss];
                }
              }
            }
            z[(o * h + r) * w + s] = acc;
          }
        }
      }
      y = z, c = co;
    } else if ([4, 9, 18, 27].includes(i)) {
      const z = new Float64Array(c * (h / 2) * (w / 2));
      for (let k = 0; k < c; k++) {
        for (let r = 0; r < h / 2; r++) {
          for (let s = 0; s < w / 2; s++) {
            const at = (k * h + 2 * r) * w + 2 * s;
            z[(k * (h / 2) + r) * (w / 2) + s] = Math.max(
              y[at],
              y[at + 1],
              y[at + w],
              y[at + w + 1],
            );
          }
        }
      }
      y = z, h /= 2, w /= 2;
    } else y = y.map((v) => Math.max(v, 0));
    if (ends.includes(i)) out.push(y);
  }
  return out;
}

Deno.test("Vgg19 has torchvision's keys and shapes up to conv5_1, frozen", async () => {
  await gpu();
  const vgg = new Vgg19();
  const keys = [...vgg.stateDict().keys()];
  assert.deepEqual(keys, CONVS.flatMap((i) => [`features.${i}.weight`, `features.${i}.bias`]));
  const shape = (key: string) => vgg.stateDict().get(key)!.shape;
  assert.deepEqual(shape("features.0.weight"), [64, 3, 3, 3]);
  assert.deepEqual(shape("features.28.weight"), [512, 512, 3, 3]);
  assert.equal(vgg.parameters().reduce((n, p) => n + p.size, 0), 12_944_960);
  assert.ok(vgg.parameters().every((p) => !p.requiresGrad));
  vgg.dispose();
});

Deno.test({
  name: "loadVgg19: the golden float16 VGG19 gives the five slices of a float64 reference",
  ignore: golden === undefined,
  fn: async () => {
    await gpu();
    const vgg = await loadVgg19(weights);
    using checkpoint = await openCheckpoint(weights);
    const params = new Map<string, Float32Array>();
    for (const key of checkpoint.keys()) {
      assert.equal(checkpoint.tensors.get(key)!.dtype, "float16");
      params.set(key, toFloat32(await checkpoint.read(key)));
    }
    const x = Float64Array.from(randn(3 * 16 * 16, 5, 0.5));
    const input = Tensor.from(Float32Array.from(x), [1, 3, 16, 16]);
    input.requiresGrad = true;
    const before = tapeLength();
    const outputs = vgg.forward(input);
    const expected = reference(x, 16, 16, params);
    assert.deepEqual(outputs.map((t) => t.shape), [
      [1, 64, 16, 16],
      [1, 128, 8, 8],
      [1, 256, 4, 4],
      [1, 512, 2, 2],
      [1, 512, 1, 1],
    ]);
    for (let k = 0; k < 5; k++) {
      const biggest = expected[k].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assertClose(await outputs[k].data(), expected[k], `relu${k + 1}_1`, {
        atol: 1e-5 * biggest,
        rtol: 1e-4,
      });
    }
    // The tape holds the image's path (for its gradient), never a weight gradient.
    assert.ok(tapeLength() > before);
    outputs[4].backward(Tensor.from(new Float32Array(512).fill(1), [1, 512, 1, 1]));
    assert.ok(input.grad);
    assert.ok(vgg.parameters().every((p) => p.grad === null));
    for (const t of [input, ...outputs]) t.dispose();
    vgg.dispose();
  },
});

Deno.test({
  name: "loadVgg19 skips a full torchvision file's later layers and classifier, and lists bad keys",
  ignore: golden === undefined,
  fn: async () => {
    await gpu();
    const dir = await Deno.makeTempDir();
    try {
      using checkpoint = await openCheckpoint(weights);
      const small = (shape: number[]): TensorData => ({
        dtype: "float32",
        shape,
        data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
      });
      const full = new Map<string, TensorSource>(checkpoint.tensors);
      full.set("features.30.weight", small([2, 2])).set("features.34.bias", small([2]));
      full.set("classifier.0.weight", small([2, 2]));
      await saveCheckpoint(`${dir}/full.pth`, full);
      (await loadVgg19(`${dir}/full.pth`)).dispose();

      const bad = new Map<string, TensorSource>(checkpoint.tensors);
      bad.delete("features.28.bias");
      bad.set("features.2.weight", small([64, 64, 1, 1])).set("features.1.weight", small([1]));
      await saveCheckpoint(`${dir}/bad.pth`, bad);
      await assert.rejects(() => loadVgg19(`${dir}/bad.pth`), {
        name: "TypeError",
        message:
          /1 missing \(features\.28\.bias\).*1 unexpected \(features\.1\.weight\).*features\.2\.weight: \[64,64,1,1\]/,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

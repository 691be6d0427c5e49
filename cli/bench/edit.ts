/**
 * The editor's latency: the time from an edit (a style change, a relabelling, a brush stroke)
 * to the new photo's RGB bytes, as the editor's server computes them (the feature map on the
 * CPU, the upload, G's forward pass without a tape, the read-back). At 512×256 with pix2pixHD's
 * default global generator taking 3 feature channels; at 2048×1024 with label2city_1024p's
 * configuration (local enhancer, ngf 32) too, unless the adapter is a CPU one.
 *
 * @module
 */

import { EditorSession } from "../../lib/edit/session.ts";
import type { FeatureClusters } from "../../lib/features/clusters.ts";
import { initGpu } from "../../lib/gpu/kernel.ts";
import { defineG } from "../../lib/pix2pixhd/networks/define_g.ts";

/** Cityscapes-like maps: 16×16 blocks of labels, a few cars. */
function maps(width: number, height: number) {
  const label = new Uint8Array(width * height).fill(7);
  const inst = new Int32Array(width * height).fill(7);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (y < height / 3) label[p] = inst[p] = 23;
      const car = Math.floor(x / (width / 8));
      if (y > height / 2 && y < (height * 3) / 4 && x % (width / 8) < width / 12) {
        label[p] = 26;
        inst[p] = 26000 + car;
      }
    }
  }
  return { width, height, label, inst };
}

async function latency(
  name: string,
  shape: string,
  session: EditorSession,
  edit: (i: number) => void,
  iters: number,
  adapter: string,
): Promise<void> {
  await session.photo(); // warm-up: pipelines compiled, buffers pooled
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    edit(i);
    await session.photo();
    times.push(performance.now() - t0);
  }
  const ms = times.reduce((a, b) => a + b, 0) / iters;
  console.log(JSON.stringify({
    name,
    shape,
    ms: Number(ms.toFixed(1)),
    min_ms: Number(Math.min(...times).toFixed(1)),
    iters,
    adapter,
  }));
}

/** Prints the edit-to-photo lines. */
export async function benchEdit(): Promise<void> {
  const rt = await initGpu();
  const adapter = rt.gpu.adapter;
  const cpu = /llvmpipe|lavapipe|swiftshader/i.test(adapter);
  const clusters: FeatureClusters = {
    featNum: 3,
    centres: new Map([[26, Array.from({ length: 10 }, (_, k) => [k / 5 - 1, 1 - k / 5, 0])]]),
  };
  const configs = [
    { size: [512, 256], netG: "global" as const, ngf: 64, what: "global ngf 64" },
    ...(cpu
      ? []
      : [{ size: [2048, 1024], netG: "local" as const, ngf: 32, what: "local ngf 32 (1024p)" }]),
  ];
  if (cpu) {
    console.error("edit: 2048x1024 skipped on a CPU adapter (it takes minutes per photo)");
  }
  for (const c of configs) {
    const [width, height] = c.size;
    const common = { inputNc: 39, ngf: c.ngf, seed: 1 };
    const netG = c.netG === "local"
      ? defineG({ ...common, netG: "local" })
      : defineG({ ...common, netG: "global" });
    const session = new EditorSession({
      netG,
      input: { labelNc: 35 },
      clusters,
      scenes: [{ name: "bench", load: () => Promise.resolve(maps(width, height)) }],
    });
    await session.open(0);
    const shape = `${width}x${height} ${c.what}, label_nc 35 + instance + 3 features`;
    const iters = cpu ? 2 : 5;
    await latency(
      "edit.style",
      shape,
      session,
      (i) => session.setStyle(26001, { cluster: (i + 1) % 10 }),
      iters,
      adapter,
    );
    await latency(
      "edit.relabel",
      shape,
      session,
      (i) => {
        session.relabel(
          session.scene.idAt([Math.floor(width / 16) + (i % 2), Math.floor(height * 0.6)]),
          i % 2 ? 26 : 27,
        );
      },
      iters,
      adapter,
    );
    await latency(
      "edit.brush",
      shape,
      session,
      (i) => {
        session.paint([[10 + i, 10], [width / 2, Math.floor(height / 3)]], 21, 16);
      },
      iters,
      adapter,
    );
    netG.dispose();
  }
}

/**
 * Benchmark of instance norm at the shape of pix2pixHD's first generator layer on a 256×512
 * image after its 7×7 convolution: (1, 64, 128, 256) here, 2 M elements.
 *
 * @module
 */

import { clearTape } from "../../lib/tensor/autograd.ts";
import { Tensor } from "../../lib/tensor/tensor.ts";
import { instanceNorm2d } from "../../lib/ops/instance_norm2d.ts";
import { bench } from "./util.ts";

/** Prints the instance_norm2d forward and backward lines. */
export async function benchNorm(): Promise<void> {
  const shape = [1, 64, 128, 256];
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size).map((_, i) => Math.sin(i * 0.37) * 3 + 1);
  const x = Tensor.from(values, shape);
  const dy = Tensor.from(values.map((v) => v * 0.5 - 0.25), shape);
  const label = `(${shape.join(", ")})`;
  await bench({
    name: "instance_norm2d.forward",
    shape: label,
    // Reads x twice (statistics, normalization) and writes y.
    bytes: size * 3 * 4,
    iters: 10,
    run: () => void instanceNorm2d(x),
  });
  x.requiresGrad = true;
  const y = instanceNorm2d(x);
  const node = y.node!;
  await bench({
    name: "instance_norm2d.backward",
    shape: label,
    // Reads y and dy twice (sums, then dx) and writes dx.
    bytes: size * 5 * 4,
    iters: 10,
    run: () => node.backward(dy, node.saved, [null]).forEach((dx) => dx?.dispose()),
  });
  clearTape();
  for (const t of [x, dy, y]) t.dispose();
}

/**
 * Benchmark of the fused Adam step over 10 M parameters (pix2pixHD's discriminators and encoder
 * together are about this size; its generators are 18 times larger).
 *
 * @module
 */

import { full } from "../../lib/tensor/autograd.ts";
import { Adam } from "../../lib/optim/adam.ts";
import { bench } from "./util.ts";

/** Prints the Adam line. */
export async function benchAdam(): Promise<void> {
  const sizes = [4_000_000, 4_000_000, 2_000_000];
  const params = sizes.map((n) => {
    const p = full([n], 0.5).keep();
    p.requiresGrad = true;
    p.grad = full([n], 0.01).keep();
    return p;
  });
  const opt = new Adam(params, { lr: 2e-4, betas: [0.5, 0.999] });
  await bench({
    name: "adam.step",
    shape: "10M params in 3 tensors",
    // Reads g, w, m, v and writes w, m, v: 7 float32 accesses per parameter.
    bytes: 10_000_000 * 7 * 4,
    run: () => opt.step(),
    iters: 5,
  });
  opt.dispose();
  for (const p of params) p.dispose();
}

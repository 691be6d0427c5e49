/**
 * Benchmark helpers: time a GPU workload between full synchronisations and print one JSON line.
 *
 * @module
 */

import { initGpu } from "../../lib/gpu/kernel.ts";
import { tidy } from "../../lib/tensor/tensor.ts";

/** One benchmark line. */
export interface BenchLine {
  name: string;
  shape: string;
  ms: number;
  gflops: number | null;
  adapter: string;
  [extra: string]: unknown;
}

/** What to time. */
export interface BenchCase {
  name: string;
  shape: string;
  /** Floating-point operations of one run, for GFLOP/s. */
  flops?: number;
  /** Records one run's GPU work; tensors it makes are disposed after each run. */
  run: () => void;
  /** Bytes one run moves to and from GPU memory, for GB/s. */
  bytes?: number;
  /** Runs timed (after one warm-up run). */
  iters?: number;
  /** Extra fields for the line. */
  extra?: Record<string, unknown>;
}

/** Times `c.run` on the GPU and prints and returns its line. */
export async function bench(c: BenchCase): Promise<BenchLine> {
  const rt = await initGpu();
  tidy(c.run);
  await rt.sync();
  const iters = c.iters ?? 3;
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) tidy(c.run);
  await rt.sync();
  const ms = (performance.now() - t0) / iters;
  const line: BenchLine = {
    name: c.name,
    shape: c.shape,
    ms: Number(ms.toFixed(3)),
    gflops: c.flops ? Number((c.flops / ms / 1e6).toFixed(3)) : null,
    adapter: rt.gpu.adapter,
    ...(c.bytes ? { gbps: Number((c.bytes / ms / 1e6).toFixed(2)) } : {}),
    ...c.extra,
  };
  console.log(JSON.stringify(line));
  return line;
}

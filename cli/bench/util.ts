/**
 * Benchmark helpers: time a GPU workload between full synchronisations and print one JSON line.
 *
 * @module
 */

import { tuneConvs } from "../../lib/ops/conv_tuner.ts";
import { initGpu } from "../../lib/gpu/kernel.ts";
import { tidy } from "../../lib/tensor/tensor.ts";
import { fp32Peak } from "./peaks.ts";

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
  /** Runs timed (after one warm-up run), at least; more when they take under 100 ms. */
  iters?: number;
  /** Extra fields for the line. */
  extra?: Record<string, unknown>;
}

/** TFLOP/s, and the fraction of the adapter's FP32 peak where it is a known GPU. */
export function flopsFields(tflops: number, adapter: string): Record<string, number> {
  const peak = fp32Peak(adapter);
  return {
    tflops: Number(tflops.toFixed(4)),
    ...(peak ? { fp32_peak_fraction: Number((tflops / peak).toFixed(4)) } : {}),
  };
}

/** The conv tuner's line, on stderr (stdout has only the JSON lines). */
function logTuning(line: string): void {
  console.error(line);
}

/** The least time {@linkcode bench} times between two synchronizations. */
const MIN_TIMED_MS = 200;
/** The most runs {@linkcode bench} times. */
const MAX_ITERS = 1000;

/** Times `c.run` on the GPU and prints and returns its line. */
export async function bench(c: BenchCase): Promise<BenchLine> {
  const rt = await initGpu();
  tidy(c.run);
  // The conv shapes met in the first run are timed for their kernel variant, then warmed up.
  if (await tuneConvs(logTuning)) tidy(c.run);
  await rt.sync();
  const timed = async (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) tidy(c.run);
    await rt.sync();
    return performance.now() - t0;
  };
  let iters = c.iters ?? 3;
  let elapsed = await timed(iters);
  if (elapsed < MIN_TIMED_MS / 2) {
    // Too short a stretch would be mostly the wait for the GPU (about 11 ms in Deno, on an H200
    // as on lavapipe): time enough runs to fill MIN_TIMED_MS.
    iters = Math.min(MAX_ITERS, Math.ceil(iters * MIN_TIMED_MS / Math.max(elapsed, 0.01)));
    elapsed = await timed(iters);
  }
  const ms = elapsed / iters;
  const line: BenchLine = {
    name: c.name,
    shape: c.shape,
    ms: Number(ms.toFixed(3)),
    gflops: c.flops ? Number((c.flops / ms / 1e6).toFixed(3)) : null,
    adapter: rt.gpu.adapter,
    iters,
    ...(c.flops ? flopsFields(c.flops / ms / 1e9, rt.gpu.adapter) : {}),
    ...(c.bytes ? { gbps: Number((c.bytes / ms / 1e6).toFixed(2)) } : {}),
    ...c.extra,
  };
  console.log(JSON.stringify(line));
  return line;
}

/** A line of {@linkcode benchMedian}: `ms` is null when the case failed, and `error` says why. */
export type MedianLine = Omit<BenchLine, "ms"> & { ms: number | null };

/** The median of `xs` (not empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** What {@linkcode benchMedian} times. */
export interface MedianCase {
  name: string;
  shape: string;
  /**
   * Makes what one run needs (networks, inputs), handing each thing to `keep`, which disposes of
   * it once the line is printed, and returns the run, which records its work.
   */
  setup: (keep: (...held: { dispose(): void }[]) => void) => (() => void) | Promise<() => void>;
  /** Untimed runs first. */
  warmup: number;
  /** Timed runs. */
  iters: number;
  /** Extra fields for the line. */
  extra?: Record<string, unknown>;
  /** Fields read once the runs are done (the pool's peak, say). */
  after?: () => Record<string, unknown>;
}

/**
 * Times each run of `c` between two full synchronizations and prints the median as `ms`, with
 * every run's time in `ms_runs`, and the compute dispatches one run records. The pool's idle
 * buffers are freed before `setup`, and its peak is reset after the warm-up runs to what the pool
 * then holds (weights, optimizer state, cached buffers), so a peak read in `after` is a step's
 * steady peak, as fixtures/train_parity/bench.py takes PyTorch's. A failure in setup or a run (out
 * of memory, a refused binding) prints and returns a line with `ms` null and the error. What
 * setup kept is disposed of either way.
 */
export async function benchMedian(c: MedianCase): Promise<MedianLine> {
  const rt = await initGpu();
  const head = { name: c.name, shape: c.shape };
  let line: MedianLine;
  const held: { dispose(): void }[] = [];
  try {
    rt.pool.trim();
    rt.pool.resetPeak();
    const run = await c.setup((...things) => void held.push(...things));
    for (let i = 0; i < c.warmup; i++) tidy(run);
    // The conv shapes met in the warm-up runs are timed for their kernel variant, then warmed up.
    if (await tuneConvs(logTuning)) tidy(run);
    await rt.sync();
    rt.pool.resetPeak();
    const times: number[] = [];
    const dispatched = rt.dispatches;
    for (let i = 0; i < c.iters; i++) {
      const t0 = performance.now();
      tidy(run);
      await rt.sync();
      times.push(performance.now() - t0);
    }
    line = {
      ...head,
      ms: Number(median(times).toFixed(3)),
      gflops: null,
      adapter: rt.gpu.adapter,
      ms_runs: times.map((t) => Number(t.toFixed(3))),
      dispatches: Math.round((rt.dispatches - dispatched) / c.iters),
      ...c.extra,
      ...c.after?.(),
    };
  } catch (e) {
    line = {
      ...head,
      ms: null,
      gflops: null,
      adapter: rt.gpu.adapter,
      error: (e instanceof Error ? e.message : String(e)).split("\n")[0].slice(0, 300),
      ...c.extra,
    };
  }
  console.log(JSON.stringify(line));
  for (const thing of held) thing.dispose();
  return line;
}

/**
 * Convolution benchmarks: conv2d forward, input gradient and weight gradient, conv_transpose2d
 * forward and backward, and TF.js's WebGPU backend on the same adapter in the same run, with a
 * summary line of the ratios. GFLOP/s count 2·N·Cout·Cin·kh·kw·Ho·Wo per pass, where Ho×Wo are
 * the positions of the conv2d (for conv_transpose2d: its input positions). TF.js asks
 * `navigator.gpu` for the high-performance adapter, as the engine does, so both run on the same
 * one. At 1024 channels TF.js is timed forward only: its weight gradient, one thread per weight
 * looping over every position, would take minutes per pass on a CPU adapter.
 *
 * @module
 */

import { initGpu } from "../../lib/gpu/kernel.ts";
import { backward, noGrad } from "../../lib/tensor/autograd.ts";
import { Tensor } from "../../lib/tensor/tensor.ts";
import { conv2d } from "../../lib/ops/conv2d.ts";
import {
  channelSum,
  convForward,
  convInputGrad,
  convParamGrads,
  convWeightGrad,
} from "../../lib/ops/conv_gemm.ts";
import { convTranspose2d } from "../../lib/ops/conv_transpose2d.ts";
import { bench, type BenchLine, flopsFields } from "./util.ts";

const TFJS_CORE = "npm:@tensorflow/tfjs-core@4.22.0";
const TFJS_WEBGPU = "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";

function random(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 4294967296 - 0.5;
  }
  return Tensor.from(data, shape);
}

/** Times conv2d's three passes and an autograd forward+backward; returns the per-pass lines. */
async function benchConv2d(c: number, h: number, w: number, iters: number) {
  const shape = `N=1 ${c}->${c} 3x3 ${h}x${w}`;
  const flops = 2 * c * c * 9 * h * w;
  const g = { stride: 1, padding: 1 };
  const x = random([1, c, h, w], 1);
  const wt = random([c, c, 3, 3], 2);
  const b = random([c], 3);
  const dy = random([1, c, h, w], 4);
  const run = (f: () => unknown) => () => void noGrad(f);
  const forward = await bench({
    name: "conv2d.forward",
    shape,
    flops,
    iters,
    run: run(() => convForward(x, wt, b, g)),
  });
  const inputGrad = await bench({
    name: "conv2d.input_grad",
    shape,
    flops,
    iters,
    run: run(() => convInputGrad(dy, wt, null, g, [h, w])),
  });
  const weightGrad = await bench({
    name: "conv2d.weight_grad",
    shape,
    flops,
    iters,
    run: run(() => convParamGrads(x, dy, g, [3, 3], undefined, {})),
    extra: { note: "includes the bias gradient, taken in the same passes" },
  });
  for (const t of [x, wt, b]) t.requiresGrad = true;
  const autograd = await bench({
    name: "conv2d.forward_backward",
    shape,
    flops: 3 * flops,
    iters,
    run: () => {
      backward(conv2d(x, wt, b, g), dy);
      for (const t of [x, wt, b]) t.grad?.dispose(), t.grad = null;
    },
    extra: {
      note: "conv2d then backward through the tape: forward, input, weight and bias gradients",
    },
  });
  for (const t of [x, wt, b, dy]) t.dispose();
  return { forward, inputGrad, weightGrad, autograd };
}

async function benchConvTranspose2d(): Promise<void> {
  const [cin, cout, h, w] = [128, 64, 64, 128];
  const shape = `N=1 ${cin}->${cout} 3x3 stride 2 ${h}x${w} -> ${2 * h}x${2 * w}`;
  const flops = 2 * cin * cout * 9 * h * w;
  const x = random([1, cin, h, w], 5);
  const wt = random([cin, cout, 3, 3], 6);
  const b = random([cout], 7);
  const dy = random([1, cout, 2 * h, 2 * w], 8);
  await bench({
    name: "conv_transpose2d.forward",
    shape,
    flops,
    iters: 3,
    run: () => void noGrad(() => convTranspose2d(x, wt, b)),
  });
  for (const t of [x, wt, b]) t.requiresGrad = true;
  const g = { stride: 2, padding: 1 };
  await bench({
    name: "conv_transpose2d.backward",
    shape,
    flops: 2 * flops,
    iters: 3,
    run: () =>
      void noGrad(
        () => [convForward(dy, wt, null, g), convWeightGrad(dy, x, g, [3, 3]), channelSum(dy)],
      ),
    extra: { note: "input, weight and bias gradients" },
  });
  for (const t of [x, wt, b, dy]) t.dispose();
}

// The parts of TF.js the bench uses.
interface TfTensor {
  data(): Promise<unknown>;
  dispose(): void;
}
interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  randomUniform(shape: number[], min: number, max: number): TfTensor;
  conv2d(x: TfTensor, w: TfTensor, strides: number, pad: string): TfTensor;
  grads(f: (x: TfTensor, w: TfTensor) => TfTensor): (xs: TfTensor[]) => TfTensor[];
  registerGradient(config: unknown): void;
  engine(): { runKernel(name: string, inputs: unknown, attrs: unknown): TfTensor };
  getKernel(name: string, backend: string): unknown;
  getGradient(name: string): unknown;
  dispose(x: unknown): void;
}

async function loadTfjs(): Promise<Tf> {
  const tf = (await import(TFJS_CORE)) as unknown as Tf;
  await import(TFJS_WEBGPU);
  if (!(await tf.setBackend("webgpu"))) throw new Error("Cannot start TF.js's WebGPU backend");
  await tf.ready();
  // tfjs-core's Node bundle registers no gradients (the union package does); register Conv2D's
  // as TF.js defines it, from its own Conv2DBackpropInput and Conv2DBackpropFilter kernels.
  if (!tf.getGradient("Conv2D")) {
    tf.registerGradient({
      kernelName: "Conv2D",
      inputsToSave: ["x", "filter"],
      gradFunc: (
        dy: TfTensor,
        [x, filter]: (TfTensor & { shape: number[] })[],
        attrs: Record<string, unknown>,
      ) => {
        const { strides, pad, dataFormat, dimRoundingMode } = attrs;
        const common = { strides, pad, dataFormat, dimRoundingMode };
        return {
          x: () =>
            tf.engine().runKernel("Conv2DBackpropInput", { dy, filter }, {
              ...common,
              inputShape: x.shape,
            }),
          filter: () =>
            tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
              ...common,
              filterShape: filter.shape,
            }),
        };
      },
    });
  }
  return tf;
}

/** Times a TF.js workload like {@linkcode bench}: one warm-up run, then `iters` runs. */
async function benchTf(
  name: string,
  shape: string,
  flops: number,
  iters: number,
  adapter: string,
  run: () => TfTensor | TfTensor[],
  extra: Record<string, unknown> = {},
): Promise<BenchLine> {
  const finish = async (r: TfTensor | TfTensor[]) => {
    const list = Array.isArray(r) ? r : [r];
    for (const t of list) await t.data();
    for (const t of list) t.dispose();
  };
  await finish(run());
  const t0 = performance.now();
  const results = [];
  for (let i = 0; i < iters; i++) results.push(run());
  for (const r of results) await finish(r);
  const ms = (performance.now() - t0) / iters;
  const line: BenchLine = {
    name,
    shape,
    ms: Number(ms.toFixed(3)),
    gflops: Number((flops / ms / 1e6).toFixed(3)),
    adapter,
    ...flopsFields(flops / ms / 1e9, adapter),
    ...extra,
  };
  console.log(JSON.stringify(line));
  return line;
}

/**
 * Prints conv2d's forward, input-gradient, weight-gradient and autograd lines for each
 * (channels, height, width) of `shapes` (3×3, stride 1, padding 1, N=1), the shapes
 * fixtures/train_parity/bench.py times in PyTorch with `--conv_shapes`.
 */
export async function benchConvShapes(
  shapes: readonly (readonly [c: number, h: number, w: number])[],
  iters = 3,
): Promise<void> {
  for (const [c, h, w] of shapes) await benchConv2d(c, h, w, iters);
}

/**
 * Prints the convolution benchmark lines, TF.js's side by side and a summary of the ratios.
 *
 * @example
 * ```ts ignore
 * await benchConv();
 * ```
 */
export async function benchConv(): Promise<void> {
  const rt = await initGpu();
  const small = await benchConv2d(64, 128, 256, 3);
  await benchConv2d(1024, 32, 64, 2);
  await benchConvTranspose2d();

  const tf = await loadTfjs();
  const adapter = rt.gpu.adapter;
  const shape = "N=1 64->64 3x3 128x256";
  const flops = 2 * 64 * 64 * 9 * 128 * 256;
  const x = tf.randomUniform([1, 128, 256, 64], -0.5, 0.5);
  const w = tf.randomUniform([3, 3, 64, 64], -0.5, 0.5);
  const note = { note: "TF.js 4.22.0 WebGPU backend, NHWC" };
  const tfForward = await benchTf(
    "tfjs.conv2d.forward",
    shape,
    flops,
    3,
    adapter,
    () => tf.conv2d(x, w, 1, "same"),
    note,
  );
  const grads = tf.grads((a, b) => tf.conv2d(a, b, 1, "same"));
  const tfBoth = await benchTf(
    "tfjs.conv2d.forward_backward",
    shape,
    3 * flops,
    2,
    adapter,
    () => grads([x, w]),
    note,
  );
  tf.dispose([x, w]);
  const xl = tf.randomUniform([1, 32, 64, 1024], -0.5, 0.5);
  const wl = tf.randomUniform([3, 3, 1024, 1024], -0.5, 0.5);
  await benchTf(
    "tfjs.conv2d.forward",
    "N=1 1024->1024 3x3 32x64",
    2 * 1024 * 1024 * 9 * 32 * 64,
    1,
    adapter,
    () => tf.conv2d(xl, wl, 1, "same"),
    note,
  );
  tf.dispose([xl, wl]);

  const ours = small.forward.ms + small.inputGrad.ms + small.weightGrad.ms;
  const forwardRatio = tfForward.ms / small.forward.ms;
  const bothRatio = tfBoth.ms / ours;
  console.log(JSON.stringify({
    name: "conv.summary",
    shape,
    forward_vs_tfjs: Number(forwardRatio.toFixed(2)),
    forward_target: 1.5,
    forward_backward_vs_tfjs: Number(bothRatio.toFixed(2)),
    forward_backward_target: 4,
    forward_backward_ms: Number(ours.toFixed(3)),
    forward_backward_gflops: Number((3 * flops / ours / 1e6).toFixed(3)),
    autograd_vs_tfjs: Number((tfBoth.ms / small.autograd.ms).toFixed(2)),
    adapter,
  }));
}

if (import.meta.main) await benchConv();

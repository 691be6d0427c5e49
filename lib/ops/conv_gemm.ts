/**
 * The implicit-GEMM passes that conv2d and conv_transpose2d are made of: the forward correlation,
 * the input gradient (split by output phase for stride 2, so no multiply-add is spent on the
 * zeros of the dilated gradient), the weight gradient (split-K over the output rows, then a
 * deterministic reduction) and the bias gradient. They check no arguments and record nothing.
 *
 * @module
 */

import { envVar } from "../gpu/device.ts";
import { type Kernel, runtime } from "../gpu/kernel.ts";
import { Tensor } from "../tensor/tensor.ts";
import shared from "../../shaders/gather_epilogue.wgsl" with { type: "text" };
import src from "./conv2d.wgsl" with { type: "text" };
import { BIAS_GRAD, TILED_BK, tiledBlock, tiledKernel, type TiledTile } from "./conv_tiled.ts";
import { CONV_VARIANTS, type ConvVariant, tunedVariant, type TuneSample } from "./conv_tuner.ts";
import { activationParams } from "./util.ts";

/** The geometry of a convolution, as seen from its (non-transposed) conv2d. */
export interface ConvGeometry {
  /** 1 or 2. */
  readonly stride: number;
  /** Padding on every side. */
  readonly padding: number;
  /**
   * Whether the padding mirrors the input at its edges (ReflectionPad2d's values, read in the
   * gather: no padded copy) rather than being zeros; the forward pass and the weight gradient
   * only (the input gradient is taken over the padded input, then folded back).
   */
  readonly reflect?: boolean;
}

const WG = 64;

/** The register tile of a kernel variant (see the header of conv2d.wgsl). */
interface Tile {
  mb: number;
  nb: number;
  khc: number;
  kwc: number;
  cb: number;
  cq: number;
  kwv: number;
  s: number;
  /** 1: the padding mirrors the input (see {@linkcode ConvGeometry}). */
  rf: number;
  /** `correlate`: 1 reads the weight where it lies, 0 a copy packed for it. */
  direct: number;
  /** `weight_grad`: 1 also takes the bias gradient (see `// @bias_grad` in conv2d.wgsl). */
  bg: number;
}

// deno-fmt-ignore
const BASE: Tile = {
  mb: 2, nb: 4, khc: 0, kwc: 0, cb: 2, cq: 2, kwv: 1, s: 1, rf: 0, direct: 0, bg: 0,
};
const variants = new Map<string, string>();

/** The two forms of `correlate`'s weight reads (at `// @weights` in conv2d.wgsl). */
const WEIGHTS = {
  packed: `@group(0) @binding(2) var<storage, read> wt: array<vec4f>;  // (Cin, KH, KW, Coutp / 4)
// The thread's first output-channel vec4 is added to wi (weights_base).
fn weights_base(co0: u32) -> u32 { return co0 / 4u; }
fn weights0(wi: u32) -> vec4f { return wt[wi]; }
fn weights1(wi: u32) -> vec4f { return wt[wi + 1u]; }`,
  // Output channel m is m·m_stride further on; channels past the last read the last (their sums
  // are never stored).
  direct: `@group(0) @binding(2) var<storage, read> wt: array<f32>;  // (Cout, Cin, KH, KW)
var<private> wm0: vec4u;  // m·m_stride of the thread's output channels co0..co0 + 3
var<private> wm1: vec4u;  // and co0 + 4..co0 + 7
fn weights_base(co0: u32) -> u32 {
  let m = vec4u(co0) + vec4u(0u, 1u, 2u, 3u);
  wm0 = min(m, vec4u(p.cout - 1u)) * p.m_stride;
  wm1 = min(m + 4u, vec4u(p.cout - 1u)) * p.m_stride;
  return 0u;
}
fn weights0(wi: u32) -> vec4f {
  return vec4f(wt[wi + wm0.x], wt[wi + wm0.y], wt[wi + wm0.z], wt[wi + wm0.w]);
}
fn weights1(wi: u32) -> vec4f {
  return vec4f(wt[wi + wm1.x], wt[wi + wm1.y], wt[wi + wm1.z], wt[wi + wm1.w]);
}`,
};

function kernel(entry: string, tile: Tile = BASE): Kernel {
  const key = Object.values(tile).join(",");
  let code = variants.get(key);
  if (!code) {
    const { direct, bg, ...sizes } = tile;
    const consts = Object.entries({ ...sizes, wg: WG }).map(([name, value]) =>
      `const ${name.toUpperCase()} = ${value}u;\n`
    );
    const weights = direct ? WEIGHTS.direct : WEIGHTS.packed;
    const body = src.replace(/^\/\/ @weights$/m, weights)
      .replace(/^\/\/ @bias_grad$/m, bg ? BIAS_GRAD.on : BIAS_GRAD.off);
    code = `${consts.join("")}\n${shared}\n${body}`;
    variants.set(key, code);
  }
  return { name: `conv2d.${entry}`, code, entry };
}

/** The largest buffer a kernel may bind, and the limit that sets it. */
function bindingLimit(): { bytes: number; name: string } {
  const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = runtime().gpu.limits;
  return binding <= buffer
    ? { bytes: binding, name: "maxStorageBufferBindingSize" }
    : { bytes: buffer, name: "maxBufferSize" };
}

/** A pool buffer for `floats` values, refused with an error naming the limit if too large. */
function scratch(what: string, floats: number): GPUBuffer {
  const limit = bindingLimit();
  if (floats * 4 > limit.bytes) {
    throw new RangeError(
      `Cannot allocate the ${what} of a convolution as it needs ${
        floats * 4
      } bytes and the device's ${limit.name} is ${limit.bytes}`,
    );
  }
  return runtime().pool.acquire(Math.max(4, floats * 4));
}

/**
 * Which taps of a (Cout, Cin, KH, KW) weight one `correlate` uses, and how: the correlation's
 * kernel is th × tw taps, tap t reading kernel index k0 + step·t; its input channels are the
 * weight's Cin and its outputs Cout, or the other way round if `swap` (the input gradient).
 */
interface Taps {
  th: number;
  tw: number;
  ky0: number;
  kx0: number;
  step: number;
  swap: boolean;
}

/**
 * Rearranges a (Cout, Cin, KH, KW) weight for the packed register kernel of `correlate`, for up
 * to four correlations of the same step and swap in one pass (the phases of a stride-2 input
 * gradient), one after another: each (a, th, tw, b padded to outp), with (a, b) = (ci, co), or
 * (co, ci) if `swap`. Returns the buffer and where each correlation's weights start, in vec4s.
 */
function pack(w: Tensor, taps: readonly Taps[], outp: number): { buffer: GPUBuffer; at: number[] } {
  if (taps.length < 1 || taps.length > 4) {
    throw new RangeError(
      `Cannot pack a weight for its correlations in one pass as there must be 1 to 4: current value is ${taps.length}`,
    );
  }
  const [cout, cin, kh, kw] = w.shape;
  const { step, swap } = taps[0];
  const a = swap ? cout : cin;
  const starts: number[] = [];
  let total = 0;
  for (const o of taps) starts.push(total), total += a * o.th * o.tw * outp;
  const buffer = scratch("packed weight", total);
  const rt = runtime();
  const per = (f: (o: Taps) => number) => [0, 1, 2, 3].map((i) => (taps[i] ? f(taps[i]) : 0));
  // deno-fmt-ignore
  const params = [
    cout, cin, kh, kw, step, swap ? 1 : 0, outp, total,
    ...per((o) => o.th), ...per((o) => o.tw), ...per((o) => o.ky0), ...per((o) => o.kx0),
    ...[0, 1, 2, 3].map((i) => starts[i] ?? 0xffffffff),
  ];
  rt.dispatch(kernel("pack"), [w.buffer, buffer], params, rt.grid(Math.ceil(total / 256)));
  return { buffer, at: starts.map((s) => s / 4) };
}

/**
 * An activation a convolution's forward pass applies to its result in the same pass: `relu`, a
 * LeakyReLU's negative slope (≥ 0), or null for none.
 */
export type Activation = "relu" | number | null;

/**
 * The activation and accumulation words (act, slope, accum) of a correlation's own pass: its
 * epilogue where that pass writes y (no split), else none, as `reduce_splits` then applies it.
 */
function epilogueParams(c: Correlation, splits: number): [number, number, number] {
  if (splits !== 1) return [0, 0, 0];
  return [...activationParams(c.act), c.accum ? 1 : 0];
}

/** What one `correlate` dispatch computes (see conv2d.wgsl). */
interface Correlation {
  x: Tensor;
  /** The weight (Cout, Cin, KH, KW) and the taps of it this correlation uses. */
  w: Tensor;
  taps: Taps;
  /** Output channels. */
  cout: number;
  bias: Tensor | null;
  y: Tensor;
  stride: number;
  /** Whether the padding mirrors x (see {@linkcode ConvGeometry}). */
  reflect: boolean;
  /** The activation applied to y (see {@linkcode Activation}). */
  act: Activation;
  /** Whether the result is added into y's values (a gradient accumulated in place). */
  accum: boolean;
  /**
   * The tiled kernels only: this correlation is phase (0, 0) of a stride-2 input gradient of the
   * conv's padding `pad`, and one dispatch computes all four phases.
   */
  phases?: { pad: number };
  /**
   * The packed register kernel only: the weight already packed for this correlation (by the
   * caller, who releases it), from vec4 `at` of `buffer`.
   */
  packed?: { buffer: GPUBuffer; at: number };
  py: number;
  px: number;
  /** Output positions computed, and where they go: row oy·os + ro, column ox·os + rx. */
  ho: number;
  wo: number;
  os: number;
  ro: number;
  rx: number;
}

/**
 * Where a correlation's kernels read the weight where it lies: the weight index of (input
 * channel a, output channel m, tap) is a·aStride + m·mStride + tap, with rows of kw taps.
 */
function weightStrides(c: Correlation): { aStride: number; mStride: number; kw: number } {
  const [, wCin, kh, kw] = c.w.shape;
  const taps = kh * kw;
  const [aStride, mStride] = c.taps.swap ? [wCin * taps, taps] : [taps, wCin * taps];
  return { aStride, mStride, kw };
}

/** The output-channel vec4s of a packed weight row: `cout` padded to a multiple of 8. */
function packedVec4s(cout: number): number {
  return Math.ceil(cout / 8) * 2;
}

function correlateTile(c: Correlation): Tile {
  // Stride 2 keeps two input windows a thread, so its tile is at most 8 columns: SwiftShader
  // (Chrome's WebGPU fallback adapter) crashes compiling 16 (and takes 38 s for 12), and on
  // lavapipe 8 is about as fast (3×3, 16→32 channels: 19.6 vs 23.2 ms; 64→128: 34.4 vs 30.7).
  const nb = Math.min(c.stride === 2 ? 2 : 4, Math.max(1, Math.ceil(c.wo / 4)));
  const known = (k: number) => (k <= 4 ? k : 0);
  return {
    ...BASE,
    mb: c.cout > 4 ? 2 : 1,
    nb,
    // Rows and columns are never both straight-line code: SwiftShader (Chrome's WebGPU
    // fallback adapter) crashes its GPU process compiling the fully unrolled tap grid, and on
    // lavapipe a loop over rows of straight-line taps is as fast (3×3, 16 and 64 channels).
    khc: c.taps.tw <= 4 ? 0 : known(c.taps.th),
    kwc: known(c.taps.tw),
    s: c.stride,
    rf: c.reflect ? 1 : 0,
  };
}

function correlate(c: Correlation, variant: ConvVariant): void {
  const [n, cin, h, w] = c.x.shape;
  const [, , outH, outW] = c.y.shape;
  if (n === 0 || c.ho <= 0 || c.wo <= 0 || c.cout === 0) return;
  if (variant.startsWith("tiled")) {
    return tiledCorrelate(c, tileOf(variant, c.stride, c.reflect));
  }
  const tile = { ...correlateTile(c), direct: variant === "register-direct" ? 1 : 0 };
  const tn = 4 * tile.nb;
  const tm = 4 * tile.mb;
  const tilesX = Math.ceil(c.wo / tn);
  const tiles = n * c.ho * tilesX;
  const rt = runtime();
  const [gx, gy] = rt.grid(Math.ceil(tiles / WG));
  const coutBlocks = Math.ceil(c.cout / tm);
  // Split-K writes whole copies of y, so only where one dispatch writes all of y (os 1).
  const wanted = c.os === 1 ? correlateSplits(cin, tiles * coutBlocks, c.y.size) : 1;
  const ciPerSplit = Math.ceil(cin / wanted);
  const splits = Math.ceil(cin / ciPerSplit);
  const out = splits === 1 ? c.y.buffer : scratch("split-K parts", splits * c.y.size);
  const { th, tw } = c.taps;
  // Where tap (ky, kx) of input channel ci lies: ci·aStride + w0 + ky·rowStep + kx·colStep, plus
  // each output channel's m·mStride (direct) or the thread's channel vec4 (packed).
  let wt = c.w.buffer;
  let at: { mStride: number; aStride: number; w0: number; rowStep: number; colStep: number };
  if (tile.direct) {
    const { aStride, mStride, kw } = weightStrides(c);
    const { ky0, kx0, step } = c.taps;
    at = { mStride, aStride, w0: ky0 * kw + kx0, rowStep: step * kw, colStep: step };
  } else {
    const coutv = packedVec4s(c.cout);
    const packed = c.packed ?? { buffer: pack(c.w, [c.taps], 4 * coutv).buffer, at: 0 };
    wt = packed.buffer;
    // deno-fmt-ignore
    at = {
      mStride: 0, aStride: th * tw * coutv, w0: packed.at, rowStep: tw * coutv, colStep: coutv,
    };
  }
  // deno-fmt-ignore
  const params = [
    cin, h, w, th, tw, c.py, c.px, c.cout, at.mStride, c.ho, c.wo, outH, outW, c.os, c.ro, c.rx,
    tilesX, tiles, c.bias ? 1 : 0, coutBlocks, ciPerSplit, c.y.size, at.aStride, at.w0,
    at.rowStep, at.colStep, ...epilogueParams(c, splits),
  ];
  const buffers = [c.x.buffer, wt, c.bias?.buffer ?? wt, out];
  rt.dispatch(kernel("correlate", tile), buffers, params, [gx, gy, coutBlocks * splits]);
  if (wt !== c.w.buffer && !c.packed) rt.pool.release(wt);
  reduceSplits(out, c.y, splits, c.act, c.accum);
}

/**
 * A conv kernel to force: a variant, or `tiled` (the tiled kernels with the heuristic tile).
 */
export type ConvKernel = ConvVariant | "tiled";

/**
 * How the convolutions are tuned. `splitK` forces the number of input-channel splits of the
 * forward and stride-1 input-gradient passes (1: never split), for tests and measurements; null
 * (the default) chooses per layer, or takes the environment variable PIX2PIXHD_CONV_SPLITK where
 * the runtime has one. `kernel` forces a kernel likewise (PIX2PIXHD_CONV_KERNEL); null takes
 * each layer shape's tuned variant (conv_tuner.ts), else the heuristic one: the tiled kernels on
 * GPUs, the register kernels on CPU adapters and for layers of few output channels.
 */
export const convTuning: { splitK: number | null; kernel: ConvKernel | null } = {
  splitK: null,
  kernel: null,
};

/** Runs `fn` with {@linkcode convTuning}'s `kernel` forced to `kernel`, then restores it. */
export function withConvKernel<T>(kernel: ConvKernel, fn: () => Promise<T>): Promise<T> {
  return withTuning("kernel", kernel, fn);
}

/** Runs `fn` with {@linkcode convTuning}'s `key` set to `value`, then restores it. */
async function withTuning<K extends keyof typeof convTuning, T>(
  key: K,
  value: (typeof convTuning)[K],
  fn: () => Promise<T>,
): Promise<T> {
  const before = convTuning[key];
  convTuning[key] = value;
  try {
    return await fn();
  } finally {
    convTuning[key] = before;
  }
}

let envKernel: ConvKernel | null | undefined;

/** PIX2PIXHD_CONV_KERNEL's value as a kernel, null when unset or empty; throws if bad. */
export function parseConvKernel(v: string | undefined): ConvKernel | null {
  if (v === undefined || v === "") return null;
  if (v !== "tiled" && !CONV_VARIANTS.includes(v as ConvVariant)) {
    throw new RangeError(
      `PIX2PIXHD_CONV_KERNEL must be one of tiled, ${
        CONV_VARIANTS.join(", ")
      }: current value is '${v}'`,
    );
  }
  return v as ConvKernel;
}

/** The fewest result rows (output channels) the tiled kernels are chosen for by default. */
const TILED_MIN_CHANNELS = 16;

/** The variant a sample run forces (see {@linkcode passSample}). */
let sampling: ConvVariant | null = null;

/** The tiled variant for `rows` × `cols` results: 8-wide thread tiles where there are many. */
function tiledFor(rows: number, cols: number): ConvVariant {
  return `tiled-${rows > 64 ? 8 : 4}x${cols > 64 ? 8 : 4}` as ConvVariant;
}

/**
 * The variant of one pass with `rows` × `cols` results: forced, tuned for its `bucket`, or the
 * heuristic one (and the bucket queued for tuning with `sample`).
 */
function chooseVariant(
  bucket: string,
  rows: number,
  cols: number,
  sample: () => TuneSample,
  pixels?: number,
): ConvVariant {
  if (sampling) return sampling;
  envKernel ??= parseConvKernel(envVar("PIX2PIXHD_CONV_KERNEL"));
  const forced = convTuning.kernel ?? envKernel;
  if (forced === "tiled") return tiledFor(rows, cols);
  if (forced !== null) return forced;
  const register = pixels !== undefined && pixels <= DIRECT_MAX_PIXELS
    ? "register-direct"
    : "register";
  const heuristic = runtime().gpu.isFallback || rows < TILED_MIN_CHANNELS
    ? register
    : tiledFor(rows, cols);
  return tunedVariant(bucket, sample) ?? heuristic;
}

/**
 * The most output pixels a correlation has where the register kernel reads the weight where it
 * lies by default: below, packing the weight costs more than its vec4 loads save (lavapipe:
 * 1024→1024 3×3 at 16×32 is 30% faster direct; 64→64 3×3 at 128×256 and 128→128 4×4 s2 at
 * 32×64 out are 11-18% faster packed).
 */
const DIRECT_MAX_PIXELS = 1024;

/** The tile of a tiled variant. */
function tileOf(v: ConvVariant, s: number, reflect = false): TiledTile {
  const [tm, tn] = v.slice(6).split("x").map(Number) as [4 | 8, 4 | 8];
  return { tm, tn, s, rf: reflect ? 1 : 0 };
}

/** Powers of two around `n`: the pixel counts one tuning holds for. */
function bucketOf(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.round(Math.log2(n));
}

/**
 * A tuning sample of a pass: float inputs of `shapes` (zeros) made on the first run, each run
 * calling `pass` with the variant forced and freeing its result.
 */
function passSample(
  shapes: number[][],
  pass: (inputs: Tensor[]) => Tensor,
  variants?: readonly ConvVariant[],
): () => TuneSample {
  return () => {
    let inputs: Tensor[] | null = null;
    return {
      variants,
      run(variant) {
        inputs ??= shapes.map((s) => Tensor.from(new Float32Array(s.reduce((a, b) => a * b)), s));
        sampling = variant;
        try {
          pass(inputs).dispose();
        } finally {
          sampling = null;
        }
      },
      dispose() {
        for (const t of inputs ?? []) t.dispose();
      },
    };
  };
}

/**
 * Workgroups a pass aims for before the tiled kernels split their sums: on GPUs two waves and
 * more, on CPU adapters a few per core.
 */
function tiledWorkgroups(): number {
  return runtime().gpu.isFallback ? 16 : 528;
}

/**
 * Splits of a sum of `len` terms over `blocks` workgroups: forced by `splitK`, else enough for
 * {@linkcode tiledWorkgroups}, each split at least `minLen` terms, all splits of `outFloats`
 * fitting one binding. Returns the terms per split (a multiple of the staged slice) and the count.
 */
function tiledSplits(len: number, blocks: number, outFloats: number, minLen: number) {
  const byMemory = Math.max(1, Math.floor(bindingLimit().bytes / (4 * outFloats)));
  const forced = convTuning.splitK ?? splitKFromEnv();
  const want = forced ??
    Math.min(Math.ceil(tiledWorkgroups() / blocks), Math.floor(len / minLen));
  const splits = Math.max(1, Math.min(want, byMemory, Math.ceil(len / TILED_BK)));
  const per = Math.max(TILED_BK, Math.ceil(len / splits / TILED_BK) * TILED_BK);
  return { per, splits: Math.max(1, Math.ceil(len / per)) };
}

/**
 * `correlate` on the tiled kernel: output channels × pixels, the sum over (c, ty, tx), reading
 * the weight where it lies (no packed copy).
 */
function tiledCorrelate(c: Correlation, tile: TiledTile): void {
  const [n, cin, h, w] = c.x.shape;
  const [, , outH, outW] = c.y.shape;
  const { th, tw, ky0, kx0, step } = c.taps;
  const pixels = n * c.ho * c.wo;
  const kTotal = cin * th * tw;
  const { bm, bn } = tiledBlock(tile);
  const mBlocks = Math.ceil(c.cout / bm);
  const nBlocks = Math.ceil(pixels / bn);
  // Split-K writes whole copies of y, so only where one dispatch writes all of y (os 1).
  // With phases, per bounds every phase's sum (at most the whole kernel's).
  const { per, splits } = c.os === 1
    ? tiledSplits(kTotal, mBlocks * nBlocks, c.y.size, 16 * TILED_BK)
    : { per: Math.max(c.phases ? cin * c.w.shape[2] * c.w.shape[3] : kTotal, 1), splits: 1 };
  const out = splits === 1 ? c.y.buffer : scratch("split-K parts", splits * c.y.size);
  const rt = runtime();
  const { aStride, mStride, kw } = weightStrides(c);
  // deno-fmt-ignore
  const params = [
    cin, h, w, th, tw, c.py, c.px, c.cout, c.ho, c.wo, outH, outW, c.os, c.ro, c.rx, pixels,
    kTotal, per, c.bias ? 1 : 0, c.y.size, mBlocks, kw, ky0, kx0, step, aStride, mStride,
    ...epilogueParams(c, splits), c.phases ? 4 : 1, c.phases?.pad ?? 0, c.w.shape[2], n,
  ];
  const buffers = [c.x.buffer, c.w.buffer, c.bias?.buffer ?? c.w.buffer, out];
  const [gx, gy] = rt.grid(nBlocks);
  const z = mBlocks * (c.phases ? 4 : splits);
  rt.dispatch(tiledKernel("tiled_correlate", tile), buffers, params, [gx, gy, z]);
  reduceSplits(out, c.y, splits, c.act, c.accum);
}

/** Runs `fn` with {@linkcode convTuning}'s `splitK` forced to `splits`, then restores it. */
export function withSplitK<T>(splits: number, fn: () => Promise<T>): Promise<T> {
  return withTuning("splitK", splits, fn);
}

/** Threads a GPU needs in flight before a conv stops splitting its input channels. */
const SPLIT_K_THREADS = 131072;
/** The fewest input channels one split sums. */
const SPLIT_K_CHANNELS = 64;

let envSplitK: number | null | undefined;

/** PIX2PIXHD_CONV_SPLITK, checked, or null where unset or unreadable (a browser, no --allow-env). */
function splitKFromEnv(): number | null {
  // Read once: null (unset) is a value to keep, so not `??=`.
  if (envSplitK === undefined) envSplitK = parseSplitK(envVar("PIX2PIXHD_CONV_SPLITK"));
  return envSplitK;
}

/** PIX2PIXHD_CONV_SPLITK's value as a split count, null when unset or empty; throws if bad. */
export function parseSplitK(v: string | undefined): number | null {
  if (v === undefined || v === "") return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `PIX2PIXHD_CONV_SPLITK must be a whole number ≥ 1 (1: never split): current value is '${v}'`,
    );
  }
  return n;
}

/**
 * The input-channel splits of one `correlate`: on a GPU, enough for about
 * {@linkcode SPLIT_K_THREADS} threads when a layer has few pixels and many channels (the 1024
 * channels of pix2pixHD's bottleneck), each split summing at least {@linkcode SPLIT_K_CHANNELS}
 * channels and all of them fitting one binding; none on CPU adapters, whose few cores are busy
 * without it.
 */
function correlateSplits(cin: number, threads: number, outFloats: number): number {
  const forced = convTuning.splitK ?? splitKFromEnv();
  const byMemory = Math.max(1, Math.floor(bindingLimit().bytes / (4 * outFloats)));
  if (forced !== null) return Math.max(1, Math.min(forced, cin, byMemory));
  if (runtime().gpu.isFallback) return 1;
  const want = Math.floor(SPLIT_K_THREADS / threads);
  return Math.max(1, Math.min(want, Math.floor(cin / SPLIT_K_CHANNELS), byMemory));
}

/**
 * The forward pass of conv2d: x (N, Cin, H, W) and w (Cout, Cin, KH, KW) give
 * (N, Cout, Ho, Wo), through `act` if given. Arguments are not checked and nothing is recorded.
 */
export function convForward(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  act: Activation = null,
): Tensor {
  const [n, , h, wd] = x.shape;
  const [cout, , kh, kw] = w.shape;
  const ho = Math.floor((h + 2 * g.padding - kh) / g.stride) + 1;
  const wo = Math.floor((wd + 2 * g.padding - kw) / g.stride) + 1;
  const y = Tensor.empty([n, cout, ho, wo]);
  if (y.size === 0) return y;
  const cin = x.shape[1];
  const bucket = `forward ${cin}->${cout} ${kh}x${kw} s${g.stride} p${g.padding}` +
    `${g.reflect ? " reflect" : ""} px${bucketOf(n * ho * wo)}${b ? " bias" : ""}`;
  const sample = passSample(
    [x.shape, w.shape, ...(b ? [b.shape] : [])] as number[][],
    ([xs, ws, bs]) => convForward(xs, ws, bs ?? null, g),
  );
  const variant = chooseVariant(bucket, cout, n * ho * wo, sample, n * ho * wo);
  const taps = { th: kh, tw: kw, ky0: 0, kx0: 0, step: 1, swap: false };
  const p = g.padding;
  // deno-fmt-ignore
  correlate({
    x, w, taps, cout, bias: b, y, stride: g.stride, reflect: !!g.reflect, act, accum: false,
    py: p, px: p, ho, wo, os: 1, ro: 0, rx: 0,
  }, variant);
  return y;
}

/**
 * The input gradient of conv2d, which is also the forward pass of conv_transpose2d: dy
 * (N, Cout, Ho, Wo) and w (Cout, Cin, KH, KW) give (N, Cin, H, W), plus `b` (Cin) if given. For
 * stride 2 each of the four output phases (row and column parity) is its own stride-1
 * correlation with the kernel taps of that phase, flipped. Added into `into` (N, Cin, H, W) in
 * place if given.
 */
export function convInputGrad(
  dy: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  size: readonly [number, number],
  into?: Tensor,
): Tensor {
  const n = dy.shape[0];
  const [, cin, kh, kw] = w.shape;
  const [h, wd] = size;
  if (g.reflect) {
    throw new RangeError(
      "Cannot take the input gradient of a reflection-padded convolution in one pass: take it " +
        "over the padded input (padding 0), then fold the border back",
    );
  }
  const dx = into ?? Tensor.empty([n, cin, h, wd]);
  if (dx.size === 0) return dx;
  const s = g.stride;
  const cout = dy.shape[1];
  const bucket = `input_grad ${cout}->${cin} ${kh}x${kw} s${s} p${g.padding} ` +
    `px${bucketOf(n * h * wd)}${b ? " bias" : ""}`;
  const sample = passSample(
    [dy.shape, w.shape, ...(b ? [b.shape] : [])] as number[][],
    ([dys, ws, bs]) => convInputGrad(dys, ws, bs ?? null, g, size),
  );
  // Each stride-2 phase is a correlation of a quarter of the pixels.
  const variant = chooseVariant(bucket, cin, n * h * wd, sample, (n * h * wd) / (s * s));
  // On the tiled kernels one dispatch computes the four phases of stride 2; on the packed
  // register kernel one pass packs the weights of all four.
  const merged = s === 2 && variant.startsWith("tiled");
  const phases: Correlation[] = [];
  for (let ry = 0; ry < (merged ? 1 : s); ry++) {
    for (let rx = 0; rx < (merged ? 1 : s); rx++) {
      // Rows iy = s·a + ry take the taps ky ≡ ry + padding (mod s): ky = ky0 + s·t, from
      // dy row a + cy - t.
      const ky0 = (ry + g.padding) % s;
      const kx0 = (rx + g.padding) % s;
      const th = Math.max(0, Math.ceil((kh - ky0) / s));
      const tw = Math.max(0, Math.ceil((kw - kx0) / s));
      const cy = (ry + g.padding - ky0) / s;
      const cx = (rx + g.padding - kx0) / s;
      // deno-fmt-ignore
      const phase = {
        th, tw, ky0: ky0 + s * (th - 1), kx0: kx0 + s * (tw - 1), step: -s, swap: true,
      };
      // deno-fmt-ignore
      phases.push({
        x: dy, w, taps: phase, cout: cin, bias: b, y: dx, stride: 1, reflect: false, act: null,
        accum: !!into, phases: merged ? { pad: g.padding } : undefined,
        py: th - 1 - cy, px: tw - 1 - cx,
        ho: Math.ceil((h - ry) / s), wo: Math.ceil((wd - rx) / s), os: s, ro: ry, rx,
      });
    }
  }
  if (variant === "register" && phases.length > 1) {
    const { buffer, at } = pack(w, phases.map((c) => c.taps), 4 * packedVec4s(cin));
    phases.forEach((c, i) => correlate({ ...c, packed: { buffer, at: at[i] } }, variant));
    runtime().pool.release(buffer);
  } else {
    for (const c of phases) correlate(c, variant);
  }
  return dx;
}

/** Threads the split-K passes aim for: a few per core on CPU adapters, many on GPUs. */
function targetThreads(): number {
  return runtime().gpu.isFallback ? 4096 : 65536;
}

/** Splits of `rows` rows so that `threads` threads per split make about the target. */
function splitRows(rows: number, threads: number, floatsPerSplit: number) {
  const rt = runtime();
  const maxSplits = Math.max(
    1,
    Math.min(
      rows,
      rt.gpu.limits.maxComputeWorkgroupsPerDimension,
      Math.floor(bindingLimit().bytes / (4 * floatsPerSplit)),
    ),
  );
  const want = Math.min(maxSplits, Math.max(1, Math.ceil(targetThreads() / threads)));
  const rowsPerSplit = Math.ceil(rows / want);
  return { rowsPerSplit, splits: Math.ceil(rows / rowsPerSplit) };
}

/** Partial results of a second output, summed in the same pass (see {@linkcode reduceSplits}). */
interface SplitParts {
  parts: GPUBuffer;
  out: Tensor;
  accum: boolean;
}

/**
 * Sums `splits` partial results in `parts` into `out` and gives `parts` back to the pool; with
 * one split `parts` is `out`'s own buffer and there is nothing to do. `second` (no activation)
 * is summed in the same dispatch.
 */
function reduceSplits(
  parts: GPUBuffer,
  out: Tensor,
  splits: number,
  act: Activation = null,
  accum = false,
  second?: SplitParts,
) {
  if (splits === 1) return;
  const rt = runtime();
  const len2 = second?.out.size ?? 0;
  rt.dispatch(
    kernel(second ? "reduce_pair" : "reduce_splits"),
    [parts, out.buffer, ...(second ? [second.parts, second.out.buffer] : [])],
    [out.size, splits, ...activationParams(act), accum ? 1 : 0, len2, second?.accum ? 1 : 0],
    rt.grid(Math.ceil((out.size + len2) / 256)),
  );
  rt.pool.release(parts);
  if (second) rt.pool.release(second.parts);
}

/**
 * The weight gradient of conv2d: x (N, Cin, H, W) and dy (N, Cout, Ho, Wo) give
 * (Cout, Cin, KH, KW), split over the output rows, each split written to a scratch buffer, then
 * summed in a fixed order; added into `into` in place if given.
 */
export function convWeightGrad(
  x: Tensor,
  dy: Tensor,
  g: ConvGeometry,
  kernelSize: readonly [number, number],
  into?: Tensor,
): Tensor {
  return convParamGrads(x, dy, g, kernelSize, into).dw;
}

/**
 * The weight gradient of conv2d as {@linkcode convWeightGrad}, and with `bias` the bias
 * gradient (dy summed over N, Ho and Wo, as {@linkcode channelSum}) in the same passes: summed
 * by the weight gradient's threads over the same splits and reduced in the same dispatch. Each is
 * added into its `into` in place if given.
 */
export function convParamGrads(
  x: Tensor,
  dy: Tensor,
  g: ConvGeometry,
  kernelSize: readonly [number, number],
  into?: Tensor,
  bias?: { into?: Tensor },
): { dw: Tensor; db: Tensor | null } {
  const [n, cin, h, w] = x.shape;
  const [, cout, ho, wo] = dy.shape;
  const [kh, kw] = kernelSize;
  const dw = into ?? Tensor.empty([cout, cin, kh, kw]);
  if (dw.size === 0 || n * ho === 0 || wo === 0) {
    const db = bias ? channelSum(dy, bias.into) : null;
    return { dw: dw.size === 0 || into ? dw : zeroFill(dw), db };
  }
  const db = bias ? bias.into ?? Tensor.empty([cout]) : null;
  const biasAccum = !!bias?.into;
  const bucket = `weight_grad ${cin}->${cout} ${kh}x${kw} s${g.stride} p${g.padding}` +
    `${g.reflect ? " reflect" : ""} px${bucketOf(n * ho * wo)}`;
  const sample = passSample(
    [x.shape, dy.shape] as number[][],
    ([xs, dys]) => convWeightGrad(xs, dys, g, kernelSize),
    CONV_VARIANTS.filter((v) => v !== "register-direct"),
  );
  const variant = chooseVariant(bucket, cout, cin * kh * kw, sample);
  const bg = db ? 1 : 0;
  /**
   * Records the passes of `splits` splits with `record` (given the buffers to bind and the words
   * that ask a pass with one split to add into the weight's and the bias's gradients), each
   * split's sums going to scratch parts (with one split, to the outputs themselves), then sums
   * the parts in one reduction.
   */
  const inSplits = (
    splits: number,
    record: (buffers: GPUBuffer[], accum: [number, number]) => void,
  ) => {
    const parts = splits === 1 ? dw.buffer : scratch("weight-gradient splits", splits * dw.size);
    const bparts = !db || splits === 1
      ? db?.buffer
      : scratch("bias-gradient splits", splits * cout);
    const one = splits === 1;
    record([x.buffer, dy.buffer, parts, ...(bparts ? [bparts] : [])], [
      one && into ? 1 : 0,
      one && biasAccum ? 1 : 0,
    ]);
    const second = db && !one ? { parts: bparts!, out: db, accum: biasAccum } : undefined;
    reduceSplits(parts, dw, splits, null, !!into, second);
    return { dw, db };
  };
  const rt = runtime();
  if (variant.startsWith("tiled")) {
    const tile = { ...tileOf(variant, g.stride, g.reflect), bg };
    const { bm, bn } = tiledBlock(tile);
    const mBlocks = Math.ceil(cout / bm);
    const nBlocks = Math.ceil(cin * kh * kw / bn);
    const pixels = n * ho * wo;
    const { per, splits } = tiledSplits(pixels, mBlocks * nBlocks, dw.size, 16 * TILED_BK);
    const [gx, gy] = rt.grid(nBlocks);
    return inSplits(splits, (buffers, [accum, baccum]) => {
      // deno-fmt-ignore
      const params = [
        cin, h, w, kh, kw, g.padding, cout, ho, wo, pixels, cin * kh * kw, per, dw.size, mBlocks,
        nBlocks, accum, bg, baccum,
      ];
      const k = tiledKernel("tiled_weight_grad", tile);
      rt.dispatch(k, buffers, params, [gx, gy, mBlocks * splits]);
    });
  }
  const kwv = kw > 4 ? 2 : 1;
  const cq = kwv === 1 && cin > 4 ? 2 : 1;
  const tile: Tile = {
    ...BASE,
    cb: cout > 4 ? 2 : 1,
    cq,
    kwv,
    s: g.stride,
    rf: g.reflect ? 1 : 0,
    bg,
  };
  const ciTiles = Math.ceil(cin / (4 * cq));
  const tiles = Math.ceil(cout / (4 * tile.cb)) * ciTiles * kh;
  const rows = n * ho;
  const { rowsPerSplit, splits } = splitRows(rows, tiles, dw.size);
  const [gx, gy] = rt.grid(Math.ceil(tiles / WG));
  return inSplits(splits, (buffers, [accum, baccum]) => {
    for (let kx0 = 0; kx0 < kw; kx0 += 4 * tile.kwv) {
      // The bias gradient in the first of the passes over the kernel columns.
      // deno-fmt-ignore
      const params = [
        cin, h, w, kh, kw, g.padding, cout, ho, wo, rows, rowsPerSplit, kx0, ciTiles, tiles,
        accum, bg && kx0 === 0 ? 1 : 0, baccum,
      ];
      rt.dispatch(kernel("weight_grad", tile), buffers, params, [gx, gy, splits]);
    }
  });
}

function zeroFill(t: Tensor): Tensor {
  const rt = runtime();
  rt.write(t.buffer, new Float32Array(t.size));
  return t;
}

/**
 * The bias gradient: the sum of t (N, C, H, W) over N, H and W, as (C); added into `into` in
 * place if given.
 */
export function channelSum(t: Tensor, into?: Tensor): Tensor {
  const [n, c, h, w] = t.shape;
  const out = into ?? Tensor.empty([c]);
  if (c === 0) return out;
  const rows = n * h;
  if (rows === 0 || w === 0) return into ?? zeroFill(out);
  const rt = runtime();
  const { rowsPerSplit, splits } = splitRows(rows, c, c);
  const parts = splits === 1 ? out.buffer : scratch("bias-gradient splits", splits * c);
  const total = splits * c;
  rt.dispatch(
    kernel("channel_sum"),
    [t.buffer, parts],
    [c, h * w, rows, rowsPerSplit, h, total, splits === 1 && into ? 1 : 0],
    rt.grid(Math.ceil(total / 64)),
  );
  reduceSplits(parts, out, splits, null, !!into);
  return out;
}

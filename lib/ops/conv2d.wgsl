// Convolution as implicit GEMM on NCHW tensors, for conv2d and conv_transpose2d, forward and
// backward. Every thread keeps a register tile; there is no workgroup memory and no barrier
// (barriers are very expensive on CPU adapters such as lavapipe, and the tiles are read through
// the cache on GPUs). The tile is straight-line vec4/mat4x4 code, because WGSL loops are not
// unrolled by the drivers; its size is set by the constants filled in above this file:
//   MB  output-channel vec4s per thread in `correlate` (TM = 4·MB output channels)
//   NB  pixel vec4s per thread in `correlate` (TN = 4·NB consecutive output columns)
//   KHC, KWC  the kernel height and width of `correlate` when at most 4 (their taps are then
//       straight-line code, which is faster than a loop), else 0; KHC only when KWC is 0, as
//       SwiftShader cannot compile both unrolled
//   CB  output-channel vec4s per thread in `weight_grad`
//   CQ  input-channel vec4s per thread in `weight_grad` (1 when KWV = 2)
//   KWV tap vec4s per thread in `weight_grad` (up to 4·KWV kernel columns per dispatch)
//   S   the input stride of `correlate` and `weight_grad`
//   RF  1: the padding of `correlate` and `weight_grad` mirrors the input at its edges (as
//       ReflectionPad2d, without repeating the edge) instead of reading zeros
//   WG  threads per workgroup
// `reflect` and `activate` come from shaders/gather_epilogue.wgsl, put before this file.
//
// correlate: conv2d forward, and one output phase of the input gradient (= conv_transpose2d):
//   y[n, co, oy·OS + ro, ox·OS + rx] =
//     bias[co] + Σ_{ci, ky < KH, kx < KW} w(ci, co, ky, kx) · x[n, ci, oy·S + ky - py, ox·S + kx - px]
//   with x zero outside the image, the weight read where it lies or from a copy packed for it
//   (`pack`: (Cin, KH, KW, Cout) with Cout padded to a multiple of 8, one vec4 per load). With split-K (a layer of few pixels and many channels on a
//   GPU) grid z also runs over splits of the input channels, each writing its own copy of y,
//   which reduce_splits then sums in a fixed order. A thread computes TM channels × TN columns of one output row,
//   sliding a window of the input row along the kernel columns (one new load per tap).
// weight_grad: one split of the weight gradient, over the output rows r0 <= n·Ho + oy < r1:
//   part[split, co, ci, ky, kx] = Σ dy[n, co, oy, ox] · x[n, ci, oy·S + ky - pad, ox·S + kx - pad]
//   A thread owns 4·CB output channels × 4·CQ input channels × 4·KWV kernel columns of one
//   kernel row, sliding a window over each of its 4·CQ input rows along the output columns.
//   With the bias gradient (bias_on; the variant conv_gemm.ts fills in at `// @bias_grad`), the
//   threads of input channel 0 and kernel row 0 also sum the dy they read into
//   bpart[split, co] = Σ dy[n, co, oy, ox] over the same rows, in the same order as channel_sum.
// pack: weights rearranged for `correlate`, optionally with in/out channels swapped and taps
//   subsampled and flipped (the input gradient's phase kernels, the four phases of stride 2 in
//   one pass).
// channel_sum: one split of the bias gradient, Σ over the rows of a split of each channel.
// reduce_splits: out[i] = Σ_s part[s, i], a deterministic second pass (then the activation of
//   `correlate`, if any); reduce_pair: the same for two outputs of as many splits in one pass
//   (a weight gradient and the bias gradient its pass took).
// With `accum` set, `correlate`, `weight_grad` (without splits), `channel_sum` (likewise) and
// `reduce_splits` add their result into the output's values (a gradient accumulated in place)
// instead of writing it.

const TM = 4u * MB;
const TN = 4u * NB;

struct CorrelateParams {
  cin: u32, h: u32, w: u32, kh: u32,
  kw: u32, py: i32, px: i32, cout: u32,
  m_stride: u32, ho: u32, wo: u32, out_h: u32,
  out_w: u32, os: u32, ro: u32, rx: u32,
  tiles_x: u32, tiles: u32, has_bias: u32, cout_blocks: u32,
  ci_per_split: u32, split_len: u32, a_stride: u32, w0: i32,
  row_step: i32, col_step: i32, act: u32, slope: f32,
  accum: u32,
}

@group(0) @binding(0) var<uniform> p: CorrelateParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, Cin, H, W)
// The weight of tap (ky, kx) < (KH, KW) of input channel ci is at
// wi = wb + ci·a_stride + w0 + ky·row_step + kx·col_step (wb = weights_base(co0), per thread);
// weights0(wi) and weights1(wi) are its vec4s of output channels co0.. and co0 + 4.., from `wt`
// (binding 2), read where the weight lies or from a packed copy (conv_gemm.ts fills in one of
// the two forms here):
// @weights
@group(0) @binding(3) var<storage, read> bias: array<f32>;  // (Cout), read if has_bias
@group(0) @binding(4) var<storage, read_write> y: array<f32>;  // (N, Cout, out_h, out_w)

// x[base + col], or 0 outside the row (with RF, the mirrored column).
fn x_at(base: i32, col: i32, row_ok: bool) -> f32 {
  if (RF == 1u) { return select(0.0, x[u32(max(base + reflect(col, p.w), 0))], row_ok); }
  return select(0.0, x[u32(max(base + col, 0))], row_ok && u32(col) < p.w);
}

// The input row at columns col, col + step, col + 2·step, col + 3·step.
fn x_vec(base: i32, col: i32, step: i32, row_ok: bool) -> vec4f {
  return vec4f(x_at(base, col, row_ok), x_at(base, col + step, row_ok),
               x_at(base, col + 2 * step, row_ok), x_at(base, col + 3 * step, row_ok));
}

// The window of TN row values col + j·step (the columns of the result are vec4s of j).
fn x_window(base: i32, col: i32, step: i32, row_ok: bool) -> mat4x4f {
  var m = mat4x4f();
  m[0] = x_vec(base, col, step, row_ok);
  if (NB > 1u) { m[1] = x_vec(base, col + 4 * step, step, row_ok); }
  if (NB > 2u) { m[2] = x_vec(base, col + 8 * step, step, row_ok); }
  if (NB > 3u) { m[3] = x_vec(base, col + 12 * step, step, row_ok); }
  return m;
}

// Moves a TN-value window one place on, appending v.
fn slide(m: mat4x4f, v: f32) -> mat4x4f {
  return mat4x4f(vec4f(m[0].yzw, select(m[1].x, v, NB == 1u)),
                 vec4f(m[1].yzw, select(m[2].x, v, NB == 2u)),
                 vec4f(m[2].yzw, select(m[3].x, v, NB == 3u)),
                 vec4f(m[3].yzw, v));
}

// acc + w ⊗ v: column c (a column of the output) gains w · v[c].
fn outer(acc: mat4x4f, w: vec4f, v: vec4f) -> mat4x4f {
  return mat4x4f(fma(w, vec4f(v.x), acc[0]), fma(w, vec4f(v.y), acc[1]),
                 fma(w, vec4f(v.z), acc[2]), fma(w, vec4f(v.w), acc[3]));
}

// The input row seen by one kernel tap kx: columns col0 + j·S + kx in e; with S = 2, o holds
// those of tap kx + 1.
struct Window {
  e: mat4x4f,
  o: mat4x4f,
}

// The window of the next tap, given the one column that enters it.
fn advance(win: Window, v: f32) -> Window {
  if (S == 1u) { return Window(slide(win.e, v), win.o); }
  return Window(win.o, slide(win.e, v));
}

// One kernel tap at weight offset wi: acc[4i + j] += w(channels 4i..) ⊗ e[j] (columns 4j..).
fn tap(acc: ptr<function, array<mat4x4f, 8>>, wi: u32, e: mat4x4f) {
  let w0 = weights0(wi);
  (*acc)[0] = outer((*acc)[0], w0, e[0]);
  if (NB > 1u) { (*acc)[1] = outer((*acc)[1], w0, e[1]); }
  if (NB > 2u) { (*acc)[2] = outer((*acc)[2], w0, e[2]); }
  if (NB > 3u) { (*acc)[3] = outer((*acc)[3], w0, e[3]); }
  if (MB > 1u) {
    let w1 = weights1(wi);
    (*acc)[4] = outer((*acc)[4], w1, e[0]);
    if (NB > 1u) { (*acc)[5] = outer((*acc)[5], w1, e[1]); }
    if (NB > 2u) { (*acc)[6] = outer((*acc)[6], w1, e[2]); }
    if (NB > 3u) { (*acc)[7] = outer((*acc)[7], w1, e[3]); }
  }
}

// y[i] = v, or with accum (a gradient added into the one there) y[i] = v + y[i].
fn put_y(i: u32, v: f32) {
  if (p.accum != 0u) { y[i] = v + y[i]; } else { y[i] = v; }
}

// Writes a 4 channel × 4 column block (acc[c][r] is channel co0 + r, column ox0 + c) into
// split `split`'s part of y (the whole of y without split-K); the bias goes into split 0.
fn store_block(acc: mat4x4f, split: u32, n: u32, co0: u32, oyo: u32, ox0: u32) {
  for (var r = 0u; r < 4u; r++) {
    let co = co0 + r;
    if (co >= p.cout) { return; }
    let b = select(0.0, bias[min(co, p.cout - 1u)], p.has_bias != 0u && split == 0u);
    let row = split * p.split_len + ((n * p.cout + co) * p.out_h + oyo) * p.out_w;
    let v = activate(vec4f(acc[0][r], acc[1][r], acc[2][r], acc[3][r]) + b, p.act, p.slope);
    if (ox0 < p.wo) { put_y(row + ox0 * p.os + p.rx, v.x); }
    if (ox0 + 1u < p.wo) { put_y(row + (ox0 + 1u) * p.os + p.rx, v.y); }
    if (ox0 + 2u < p.wo) { put_y(row + (ox0 + 2u) * p.os + p.rx, v.z); }
    if (ox0 + 3u < p.wo) { put_y(row + (ox0 + 3u) * p.os + p.rx, v.w); }
  }
}

// Kernel row ky of input channel ci: its KW taps, as straight-line code when KWC gives the width.
fn kernel_row(acc: ptr<function, array<mat4x4f, 8>>, n: u32, oy: u32, ci: u32, ky: u32,
              col0: i32, wb: u32, live: bool) {
  var iy = i32(oy * S + ky) - p.py;
  if (RF == 1u) { iy = reflect(iy, p.h); }
  let row_ok = live && u32(iy) < p.h;
  let base = (i32((n * p.cin + ci) * p.h) + iy) * i32(p.w);
  var win = Window(x_window(base, col0, i32(S), row_ok), mat4x4f());
  if (S == 2u) { win.o = x_window(base, col0 + 1, 2, row_ok); }
  let wi = wb + ci * p.a_stride + u32(p.w0 + i32(ky) * p.row_step);
  let ws = u32(p.col_step);  // from one tap to the next (wrapping when negative)
  let next = col0 + i32(S * TN);  // the column that enters after tap kx is next + kx
  if (KWC > 0u) {
    tap(acc, wi, win.e);
    if (KWC > 1u) {
      win = advance(win, x_at(base, next, row_ok));
      tap(acc, wi + ws, win.e);
    }
    if (KWC > 2u) {
      win = advance(win, x_at(base, next + 1, row_ok));
      tap(acc, wi + 2u * ws, win.e);
    }
    if (KWC > 3u) {
      win = advance(win, x_at(base, next + 2, row_ok));
      tap(acc, wi + 3u * ws, win.e);
    }
  } else {
    for (var kx = 0u; kx < p.kw; kx++) {
      tap(acc, wi + kx * ws, win.e);
      win = advance(win, x_at(base, next + i32(kx), row_ok));
    }
  }
}

@compute @workgroup_size(WG)
fn correlate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  let live = t < p.tiles;
  let tx = t % p.tiles_x;
  let r = t / p.tiles_x;  // n·Ho + oy
  let n = r / p.ho;
  let oy = r % p.ho;
  let ox0 = tx * TN;
  let split = wid.z / p.cout_blocks;  // split-K: this workgroup sums input channels ci0..ci1
  let cv = (wid.z % p.cout_blocks) * MB;  // first output channel vec4
  let ci0 = split * p.ci_per_split;
  let ci1 = min(p.cin, ci0 + p.ci_per_split);
  let col0 = i32(ox0 * S) - p.px;
  let wb = weights_base(cv * 4u);
  var acc: array<mat4x4f, 8>;
  for (var ci = ci0; ci < ci1; ci++) {
    if (KHC > 0u) {
      kernel_row(&acc, n, oy, ci, 0u, col0, wb, live);
      if (KHC > 1u) { kernel_row(&acc, n, oy, ci, 1u, col0, wb, live); }
      if (KHC > 2u) { kernel_row(&acc, n, oy, ci, 2u, col0, wb, live); }
      if (KHC > 3u) { kernel_row(&acc, n, oy, ci, 3u, col0, wb, live); }
    } else {
      for (var ky = 0u; ky < p.kh; ky++) { kernel_row(&acc, n, oy, ci, ky, col0, wb, live); }
    }
  }
  if (!live) { return; }
  let oyo = oy * p.os + p.ro;
  let co0 = cv * 4u;
  store_block(acc[0], split, n, co0, oyo, ox0);
  if (NB > 1u) { store_block(acc[1], split, n, co0, oyo, ox0 + 4u); }
  if (NB > 2u) { store_block(acc[2], split, n, co0, oyo, ox0 + 8u); }
  if (NB > 3u) { store_block(acc[3], split, n, co0, oyo, ox0 + 12u); }
  if (MB > 1u) {
    store_block(acc[4], split, n, co0 + 4u, oyo, ox0);
    if (NB > 1u) { store_block(acc[5], split, n, co0 + 4u, oyo, ox0 + 4u); }
    if (NB > 2u) { store_block(acc[6], split, n, co0 + 4u, oyo, ox0 + 8u); }
    if (NB > 3u) { store_block(acc[7], split, n, co0 + 4u, oyo, ox0 + 12u); }
  }
}

struct WeightGradParams {
  cin: u32, h: u32, w: u32, kh: u32,
  kw: u32, pad: i32, cout: u32, ho: u32,
  wo: u32, rows: u32, rows_per_split: u32, kx0: u32,
  ci_tiles: u32, tiles: u32, accum: u32, bias_on: u32,
  baccum: u32,
}

@group(0) @binding(0) var<uniform> g: WeightGradParams;
@group(0) @binding(1) var<storage, read> gx: array<f32>;  // (N, Cin, H, W)
@group(0) @binding(2) var<storage, read> gdy: array<f32>;  // (N, Cout, Ho, Wo)
@group(0) @binding(3) var<storage, read_write> part: array<f32>;  // (splits, Cout, Cin, KH, KW)
// store_bias(split, co, v): bpart[split, co + c] = v[c] for the channels below Cout (added with
// baccum), and its binding 4, (splits, Cout); or nothing without the bias gradient.
// @bias_grad

// gx[base + col], or 0 outside the row (with RF, the mirrored column).
fn gx_at(base: i32, col: i32, ok: bool) -> f32 {
  if (RF == 1u) { return select(0.0, gx[u32(max(base + reflect(col, g.w), 0))], ok); }
  return select(0.0, gx[u32(max(base + col, 0))], ok && u32(col) < g.w);
}

// The input row at columns col..col + 3.
fn gx_vec(base: i32, col: i32, ok: bool) -> vec4f {
  return vec4f(gx_at(base, col, ok), gx_at(base, col + 1, ok),
               gx_at(base, col + 2, ok), gx_at(base, col + 3, ok));
}

// dy of 4 output channels (planes apart) at one position. Channels past Cout read whatever is
// there (or 0 past the buffer): their sums are never stored.
fn gdy_vec(i: u32, plane: u32) -> vec4f {
  return vec4f(gdy[i], gdy[i + plane], gdy[i + 2u * plane], gdy[i + 3u * plane]);
}

// The windows of 4 input channels (the columns of a matrix): 4·KWV taps each, at consecutive
// input columns. `shifted` moves one on by S columns; v holds the S columns that enter.
struct Taps {
  lo: mat4x4f,  // taps kx0..kx0 + 3
  hi: mat4x4f,  // taps kx0 + 4..kx0 + 7, if KWV = 2
}

fn load_window(b: vec4i, col: i32, ok: vec4<bool>) -> Taps {
  var win: Taps;
  win.lo = mat4x4f(gx_vec(b.x, col, ok.x), gx_vec(b.y, col, ok.y),
                   gx_vec(b.z, col, ok.z), gx_vec(b.w, col, ok.w));
  if (KWV > 1u) {
    win.hi = mat4x4f(gx_vec(b.x, col + 4, ok.x), gx_vec(b.y, col + 4, ok.y),
                     gx_vec(b.z, col + 4, ok.z), gx_vec(b.w, col + 4, ok.w));
  }
  return win;
}

fn shift(lo: vec4f, hi: vec4f, v: vec2f) -> vec4f {
  if (S == 1u) { return vec4f(lo.yzw, select(hi.x, v.x, KWV == 1u)); }
  return vec4f(lo.zw, select(hi.xy, v, KWV == 1u));
}

fn shifted(win: Taps, b: vec4i, col: i32, ok: vec4<bool>) -> Taps {
  // The window starts at col; the columns that enter are col + 4·KWV (and the next for S = 2).
  let c = col + i32(4u * KWV);
  let v0 = vec2f(gx_at(b.x, c, ok.x), select(0.0, gx_at(b.x, c + 1, ok.x), S == 2u));
  let v1 = vec2f(gx_at(b.y, c, ok.y), select(0.0, gx_at(b.y, c + 1, ok.y), S == 2u));
  let v2 = vec2f(gx_at(b.z, c, ok.z), select(0.0, gx_at(b.z, c + 1, ok.z), S == 2u));
  let v3 = vec2f(gx_at(b.w, c, ok.w), select(0.0, gx_at(b.w, c + 1, ok.w), S == 2u));
  var out: Taps;
  out.lo = mat4x4f(shift(win.lo[0], win.hi[0], v0), shift(win.lo[1], win.hi[1], v1),
                   shift(win.lo[2], win.hi[2], v2), shift(win.lo[3], win.hi[3], v3));
  if (KWV > 1u) {
    out.hi = mat4x4f(shift(win.hi[0], vec4f(v0, 0.0, 0.0), v0), shift(win.hi[1], vec4f(v1, 0.0, 0.0), v1),
                     shift(win.hi[2], vec4f(v2, 0.0, 0.0), v2), shift(win.hi[3], vec4f(v3, 0.0, 0.0), v3));
  }
  return out;
}

// acc[at + c] += x · d[c] for the 4·CB output channels c.
fn accumulate(acc: ptr<function, array<mat4x4f, 16>>, at: u32, x: mat4x4f, d0: vec4f,
              d1: vec4f) {
  (*acc)[at] += x * d0.x;
  (*acc)[at + 1u] += x * d0.y;
  (*acc)[at + 2u] += x * d0.z;
  (*acc)[at + 3u] += x * d0.w;
  if (CB > 1u) {
    (*acc)[at + 4u] += x * d1.x;
    (*acc)[at + 5u] += x * d1.y;
    (*acc)[at + 6u] += x * d1.z;
    (*acc)[at + 7u] += x * d1.w;
  }
}

// Writes taps kx0.. of the (co, ci) pairs of one accumulator (column c is input channel ci + c).
fn store_taps(split: u32, co: u32, ci: u32, ky: u32, lo: mat4x4f, hi: mat4x4f) {
  if (co >= g.cout) { return; }
  for (var c = 0u; c < 4u; c++) {
    if (ci + c >= g.cin) { return; }
    let row = ((split * g.cout + co) * g.cin + ci + c) * g.kh + ky;
    for (var k = 0u; k < 4u * KWV; k++) {
      let kx = g.kx0 + k;
      if (kx >= g.kw) { break; }
      let v = select(hi[c][k % 4u], lo[c][k % 4u], k < 4u);
      let at = row * g.kw + kx;
      if (g.accum != 0u) { part[at] = v + part[at]; } else { part[at] = v; }
    }
  }
}

// Stores acc[at + c] (and hi) for the 4·CB output channels c (constant indices, so that the
// accumulators stay in registers).
fn store_quad(split: u32, co0: u32, ci: u32, ky: u32, acc: ptr<function, array<mat4x4f, 16>>,
              hi: ptr<function, array<mat4x4f, 16>>, at: u32) {
  store_taps(split, co0, ci, ky, (*acc)[at], (*hi)[at]);
  store_taps(split, co0 + 1u, ci, ky, (*acc)[at + 1u], (*hi)[at + 1u]);
  store_taps(split, co0 + 2u, ci, ky, (*acc)[at + 2u], (*hi)[at + 2u]);
  store_taps(split, co0 + 3u, ci, ky, (*acc)[at + 3u], (*hi)[at + 3u]);
  if (CB > 1u) {
    store_taps(split, co0 + 4u, ci, ky, (*acc)[at + 4u], (*hi)[at + 4u]);
    store_taps(split, co0 + 5u, ci, ky, (*acc)[at + 5u], (*hi)[at + 5u]);
    store_taps(split, co0 + 6u, ci, ky, (*acc)[at + 6u], (*hi)[at + 6u]);
    store_taps(split, co0 + 7u, ci, ky, (*acc)[at + 7u], (*hi)[at + 7u]);
  }
}

@compute @workgroup_size(WG)
fn weight_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  let live = t < g.tiles;
  let ci0 = (t % g.ci_tiles) * 4u * CQ;
  let rest = t / g.ci_tiles;
  let ky = rest % g.kh;
  let co0 = (rest / g.kh) * 4u * CB;
  let r0 = wid.z * g.rows_per_split;
  let r1 = min(r0 + g.rows_per_split, g.rows);
  let plane = g.ho * g.wo;
  let xplane = i32(g.h * g.w);
  let quad = vec4i(0, 1, 2, 3) * xplane;
  let cis = vec4u(ci0) + vec4u(0u, 1u, 2u, 3u);
  // acc[8q + c]: output channel co0 + c, input channels ci0 + 4q.. (columns), taps kx0.. (rows);
  // hi: taps kx0 + 4.. when KWV = 2 (then CQ = 1).
  var acc: array<mat4x4f, 16>;
  var hi: array<mat4x4f, 16>;
  var bs0 = vec4f();  // Σ dy of output channels co0.. (the bias gradient)
  var bs1 = vec4f();  // and co0 + 4..
  for (var r = r0; r < r1; r++) {
    let n = r / g.ho;
    let oy = r % g.ho;
    var iy = i32(oy * S + ky) - g.pad;
    if (RF == 1u) { iy = reflect(iy, g.h); }
    let row_ok = live && u32(iy) < g.h;
    let ba = vec4i((i32((n * g.cin + ci0) * g.h) + iy) * i32(g.w)) + quad;
    let bb = ba + 4 * xplane;
    let oka = vec4<bool>(row_ok) & (cis < vec4u(g.cin));
    let okb = vec4<bool>(row_ok) & (cis + 4u < vec4u(g.cin));
    var col = i32(g.kx0) - g.pad;
    var wa = load_window(ba, col, oka);
    var wb = Taps();
    if (CQ > 1u) { wb = load_window(bb, col, okb); }
    var di = ((n * g.cout + co0) * g.ho + oy) * g.wo;
    for (var ox = 0u; ox < g.wo; ox++) {
      let d0 = gdy_vec(di, plane);
      var d1 = vec4f();
      if (CB > 1u) { d1 = gdy_vec(di + 4u * plane, plane); }
      bs0 += d0;
      bs1 += d1;
      accumulate(&acc, 0u, wa.lo, d0, d1);
      if (CQ > 1u) { accumulate(&acc, 8u, wb.lo, d0, d1); }
      if (KWV > 1u) { accumulate(&hi, 0u, wa.hi, d0, d1); }
      di += 1u;
      wa = shifted(wa, ba, col, oka);
      if (CQ > 1u) { wb = shifted(wb, bb, col, okb); }
      col += i32(S);
    }
  }
  if (!live) { return; }
  store_quad(wid.z, co0, ci0, ky, &acc, &hi, 0u);
  if (CQ > 1u) { store_quad(wid.z, co0, ci0 + 4u, ky, &acc, &hi, 8u); }
  if (g.bias_on != 0u && ci0 == 0u && ky == 0u) {
    store_bias(wid.z, co0, bs0);
    if (CB > 1u) { store_bias(wid.z, co0 + 4u, bs1); }
  }
}

struct PackParams {
  cout: u32, cin: u32, kh: u32, kw: u32,
  step: i32, swap: u32, outp: u32, total: u32,
  // Per packed correlation (up to four, one after another: the phases of a stride-2 input
  // gradient): its taps, first taps, and first index (past total for the ones not used).
  th: vec4u, tw: vec4u, ky0: vec4i, kx0: vec4i,
  start: vec4u,
}

@group(0) @binding(0) var<uniform> k: PackParams;
@group(0) @binding(1) var<storage, read> weight: array<f32>;  // (Cout, Cin, KH, KW)
@group(0) @binding(2) var<storage, read_write> packed: array<f32>;  // per phase (A, TH, TW, outp)

// packed[start, a, ty, tx, b] = weight[co, ci, ky0 + step·ty, kx0 + step·tx] of the correlation
// that index i falls in, where (a, b) is (ci, co), or (co, ci) when swap is set; 0 for b past
// its channel count (padding to outp).
@compute @workgroup_size(256)
fn pack(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= k.total) { return; }
  let ph = u32(i >= k.start.y) + u32(i >= k.start.z) + u32(i >= k.start.w);
  let th = k.th[ph];
  let tw = k.tw[ph];
  let j = i - k.start[ph];
  let b = j % k.outp;
  let rest = j / k.outp;
  let tx = rest % tw;
  let ty = (rest / tw) % th;
  let a = rest / (tw * th);
  let co = select(b, a, k.swap != 0u);
  let ci = select(a, b, k.swap != 0u);
  let ky = u32(k.ky0[ph] + k.step * i32(ty));
  let kx = u32(k.kx0[ph] + k.step * i32(tx));
  let inside = co < k.cout && ci < k.cin;
  let src = ((min(co, k.cout - 1u) * k.cin + min(ci, k.cin - 1u)) * k.kh + ky) * k.kw + kx;
  packed[i] = select(0.0, weight[src], inside);
}

struct SumParams {
  channels: u32, plane: u32, rows: u32, rows_per_split: u32,
  height: u32, total: u32, accum: u32,
}

@group(0) @binding(0) var<uniform> q: SumParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;  // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;  // (splits, C)

// sums[split, c] = Σ of channel c over the rows n·H + h of the split (rows of W values).
@compute @workgroup_size(64)
fn channel_sum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (i >= q.total) { return; }
  let c = i % q.channels;
  let split = i / q.channels;
  let r0 = split * q.rows_per_split;
  let r1 = min(r0 + q.rows_per_split, q.rows);
  let width = q.plane / q.height;
  var s = 0.0;
  for (var r = r0; r < r1; r++) {
    let n = r / q.height;
    let start = (n * q.channels + c) * q.plane + (r % q.height) * width;
    for (var j = 0u; j < width; j++) { s += src[start + j]; }
  }
  if (q.accum != 0u) { sums[i] = s + sums[i]; } else { sums[i] = s; }
}

struct ReduceParams {
  len: u32, splits: u32, act: u32, slope: f32,
  accum: u32, len2: u32, accum2: u32,
}

@group(0) @binding(0) var<uniform> rp: ReduceParams;
@group(0) @binding(1) var<storage, read> parts: array<f32>;  // (splits, len)
@group(0) @binding(2) var<storage, read_write> total: array<f32>;  // (len)
@group(0) @binding(3) var<storage, read> parts2: array<f32>;  // (splits, len2), reduce_pair
@group(0) @binding(4) var<storage, read_write> total2: array<f32>;  // (len2), reduce_pair

@compute @workgroup_size(256)
fn reduce_splits(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= rp.len) { return; }
  var s = 0.0;
  for (var j = 0u; j < rp.splits; j++) { s += parts[j * rp.len + i]; }
  let v = activate(vec4f(s), rp.act, rp.slope).x;
  if (rp.accum != 0u) { total[i] = v + total[i]; } else { total[i] = v; }
}

// Threads 0..len sum parts into total, threads len..len + len2 parts2 into total2 (no
// activation; accum and accum2 add into each output's values).
@compute @workgroup_size(256)
fn reduce_pair(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i < rp.len) {
    var s = 0.0;
    for (var j = 0u; j < rp.splits; j++) { s += parts[j * rp.len + i]; }
    if (rp.accum != 0u) { total[i] = s + total[i]; } else { total[i] = s; }
    return;
  }
  let k = i - rp.len;
  if (k >= rp.len2) { return; }
  var s = 0.0;
  for (var j = 0u; j < rp.splits; j++) { s += parts2[j * rp.len2 + k]; }
  if (rp.accum2 != 0u) { total2[k] = s + total2[k]; } else { total2[k] = s; }
}

// Convolution as a workgroup-tiled implicit GEMM, for GPUs: 256 threads (16 × 16) compute a
// BM × BN block of C = A·B, staging K-slices of BK values of A and B in workgroup memory, each
// thread holding TM × TN results in registers (rows (ty + 16·i)·4 + c, columns (tx + 16·j)·4 + e,
// so that its reads of the staged slices are vec4s 16 B apart across the threads). The constants
// TM, TN (4 or 8), S (the stride), RF (1: the padding mirrors the input at its edges, as
// ReflectionPad2d, instead of reading zeros) and BK (TILED_BK) are filled in above this file, and the
// multiply-add block (at `@mac`) and the stores of the results (at `@store_y`, `@store_g`) are
// generated straight-line (conv_tiled.ts), so that the results, acc[(i·4 + c)·TN/4 + j], stay
// in registers. `reflect` and `activate` come from shaders/gather_epilogue.wgsl, put before this
// file.
//
// tiled_correlate: conv2d forward, and one output phase of the input gradient, as `correlate` in
//   conv2d.wgsl: A = the weight read where it lies (K = Cin·KH·KW rows), B = the input gathered at
//   pixel q = (n, oy, ox) and k = (ci, ky, kx), zero outside the image. Grid x·y: pixel blocks;
//   z: split · m_blocks + channel block; split s sums k in [s·k_per_split, (s + 1)·k_per_split)
//   into its own copy of y (reduce_splits in conv2d.wgsl then sums them in a fixed order).
//   With phases 4 (the stride-2 input gradient in one dispatch), z also runs over the four output
//   phases (ry, rx) = (z / 2, z % 2) of the conv's padding p.pad and weight p.w_kh × p.w_kw, each
//   phase's taps, origin and size (as conv_gemm.ts's convInputGrad gives them to one phase's
//   dispatch) derived here; the grid covers phase (0, 0), the largest, and the other phases'
//   workgroups past their pixels return.
// tiled_weight_grad: dw[co, k] = Σ_q dy[n, co, q] · x gathered at (q, k): A = dy (rows co), B =
//   the gathered input (columns k), summed over the pixels q of a split. With the bias gradient
//   (bias_on; the variant conv_tiled.ts fills in at `// @bias_grad`), the first BM / 4 threads of
//   the workgroups of column block 0 also sum the staged slices of A: bpart[split, co] = Σ_q
//   dy[n, co, q], q in order.

const BM = 16u * TM;
const BN = 16u * TN;
const AW = BM / 4u;  // vec4s in a staged row of A
const BW = BN / 4u;  // vec4s in a staged row of B

var<workgroup> As: array<vec4f, BK * AW>;  // [kk][m / 4]
var<workgroup> Bs: array<vec4f, BK * BW>;  // [kk][n / 4]

struct TiledParams {
  cin: u32, h: u32, w: u32, kh: u32,
  kw: u32, py: i32, px: i32, cout: u32,
  ho: u32, wo: u32, out_h: u32, out_w: u32,
  os: u32, ro: u32, rx: u32, pixels: u32,
  k_total: u32, k_per_split: u32, has_bias: u32, split_len: u32,
  m_blocks: u32, w_kw: u32, ky0: i32, kx0: i32,
  step: i32, a_stride: u32, m_stride: u32, act: u32,
  slope: f32, accum: u32, phases: u32, pad: u32,
  w_kh: u32, n: u32,
}

@group(0) @binding(0) var<uniform> p: TiledParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, Cin, H, W)
// The weight where it lies, (Cout, Cin, KH, KW) of the conv: tap (ty, tx) < (KH, KW) of this
// correlation (ph.kh, ph.kw) of input channel a and output channel m is
// wt[a·a_stride + m·m_stride + (ky0 + step·ty)·w_kw + kx0 + step·tx].
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;  // (Cout), read if has_bias
@group(0) @binding(4) var<storage, read_write> y: array<f32>;  // (N, Cout, out_h, out_w)

// x[base + iy·W + ix], or 0 outside the image (with RF, the mirrored pixel) or where !ok.
fn x_at(base: u32, iy: i32, ix: i32, ok: bool) -> f32 {
  if (RF == 1u) {
    return select(0.0, x[select(0u, base + u32(reflect(iy, p.h)) * p.w + u32(reflect(ix, p.w)), ok)], ok);
  }
  let inside = ok && u32(iy) < p.h && u32(ix) < p.w;
  return select(0.0, x[select(0u, base + u32(iy) * p.w + u32(ix), inside)], inside);
}

// One correlation's shape: its taps (kh × kw from weight tap (ky0, kx0), p.step apart), input
// origin (py, px), positions (ho × wo, written at row oy·os + ro, column ox·os + rx), pixels and
// sum length.
struct Phase {
  kh: u32, kw: u32, ky0: i32, kx0: i32, py: i32, px: i32,
  ho: u32, wo: u32, ro: u32, rx: u32, pixels: u32, k_total: u32,
}

// The taps of output phase r along a side (stride 2, padding pad, kernel k): (count, first tap,
// input origin), as convInputGrad computes them.
fn phase_taps(r: u32, pad: u32, k: u32) -> vec3i {
  let k0 = (r + pad) % 2u;
  let t = select(0u, (k - k0 + 1u) / 2u, k > k0);
  let c = (r + pad - k0) / 2u;
  return vec3i(i32(t), i32(k0) + 2 * (i32(t) - 1), i32(t) - 1 - i32(c));
}

// The shape of phase `phase` (0 with one phase: the parameters as given).
fn phase_of(phase: u32) -> Phase {
  if (p.phases == 1u) {
    return Phase(p.kh, p.kw, p.ky0, p.kx0, p.py, p.px, p.ho, p.wo, p.ro, p.rx, p.pixels,
                 p.k_total);
  }
  let ry = phase / 2u;
  let rx = phase % 2u;
  let ty = phase_taps(ry, p.pad, p.w_kh);
  let tx = phase_taps(rx, p.pad, p.w_kw);
  let ho = (p.out_h - ry + 1u) / 2u;
  let wo = (p.out_w - rx + 1u) / 2u;
  return Phase(u32(ty.x), u32(tx.x), ty.y, tx.y, ty.z, tx.z, ho, wo, ry, rx, p.n * ho * wo,
               p.cin * u32(ty.x) * u32(tx.x));
}

// The input origin (row, column, image offset) of four consecutive output pixels from q0.
struct Pixels { ok: vec4<bool>, iy: vec4i, ix: vec4i, base: vec4u }

fn pixels4(q0: u32, ph: Phase) -> Pixels {
  let q = vec4u(q0) + vec4u(0u, 1u, 2u, 3u);
  let hw = ph.ho * ph.wo;
  let rem = q % hw;
  return Pixels(q < vec4u(ph.pixels), vec4i((rem / ph.wo) * S) - ph.py,
                vec4i((rem % ph.wo) * S) - ph.px, (q / hw) * (p.cin * p.h * p.w));
}

// The weight of output channel m at tap offset wk, or 0 past the channels or where !ok.
fn w_at(wk: u32, m: u32, ok: bool) -> f32 {
  let inside = ok && m < p.cout;
  return select(0.0, wt[select(0u, wk + m * p.m_stride, inside)], inside);
}

// y's index (without the channel) of four consecutive output pixels from q0.
fn out4(q0: u32, ph: Phase) -> vec4u {
  let q = vec4u(q0) + vec4u(0u, 1u, 2u, 3u);
  let hw = ph.ho * ph.wo;
  let rem = q % hw;
  return (q / hw) * (p.cout * p.out_h * p.out_w) + ((rem / ph.wo) * p.os + ph.ro) * p.out_w +
         (rem % ph.wo) * p.os + ph.rx;
}

@compute @workgroup_size(256)
fn tiled_correlate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_index) lid: u32) {
  let nb = wid.y * nwg.x + wid.x;
  // z: split (or with phases, phase) · m_blocks + channel block.
  let zq = wid.z / p.m_blocks;
  let ph = phase_of(select(0u, zq, p.phases > 1u));
  if (nb * BN >= ph.pixels) { return; }  // the whole workgroup
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<vec4f, TM * TN / 4u>;
  let q0 = nb * BN;
  let m0 = (wid.z % p.m_blocks) * BM;
  let split = select(zq, 0u, p.phases > 1u);
  let k0 = split * p.k_per_split;
  let k1 = min(ph.k_total, k0 + p.k_per_split);
  let plane = p.h * p.w;
  let taps = ph.kh * ph.kw;
  // B: vec4 column bq (pixels q0 + 4·bq ..), rows brow + j·(256 / BW).
  let bq = lid % BW;
  let brow = lid / BW;
  let px = pixels4(q0 + 4u * bq, ph);
  // A: row akk of the slice, channels m0 + 4·(aq + 16·j) ...
  let akk = lid % BK;
  let aq = lid / BK;
  for (var kb = k0; kb < k1; kb += BK) {
    let k = kb + akk;
    let kok = k < k1;
    let a = k / taps;
    let r = k % taps;
    let wy = ph.ky0 + p.step * i32(r / ph.kw);
    let wx = ph.kx0 + p.step * i32(r % ph.kw);
    let wk = a * p.a_stride + u32(wy * i32(p.w_kw) + wx);
    for (var j = 0u; j < AW / 16u; j++) {
      let m = m0 + 4u * (aq + 16u * j);
      As[akk * AW + aq + 16u * j] = vec4f(w_at(wk, m, kok), w_at(wk, m + 1u, kok),
                                          w_at(wk, m + 2u, kok), w_at(wk, m + 3u, kok));
    }
    for (var kk = brow; kk < BK; kk += 256u / BW) {
      let k = kb + kk;
      let kok = k < k1;
      let ci = k / taps;
      let r = k % taps;
      let ky = i32(r / ph.kw);
      let kx = i32(r % ph.kw);
      let off = px.base + ci * plane;
      Bs[kk * BW + bq] = vec4f(x_at(off.x, px.iy.x + ky, px.ix.x + kx, kok && px.ok.x),
                               x_at(off.y, px.iy.y + ky, px.ix.y + kx, kok && px.ok.y),
                               x_at(off.z, px.iy.z + ky, px.ix.z + kx, kok && px.ok.z),
                               x_at(off.w, px.iy.w + ky, px.ix.w + kx, kok && px.ok.w));
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      // @mac
    }
    workgroupBarrier();
  }
  let base = split * p.split_len;
  // @store_y
}

// Four results of channel co at y indices o (without the channel), plus the bias in split 0, then
// the activation (given only without split-K).
fn put_y(co: u32, o: vec4u, ok: vec4<bool>, acc: vec4f, split: u32) {
  if (co >= p.cout) { return; }
  let v = activate(acc + select(0.0, bias[co], p.has_bias != 0u && split == 0u), p.act, p.slope);
  let at = o + co * p.out_h * p.out_w;
  if (ok.x) { store_y(at.x, v.x); }
  if (ok.y) { store_y(at.y, v.y); }
  if (ok.z) { store_y(at.z, v.z); }
  if (ok.w) { store_y(at.w, v.w); }
}

// y[i] = v, or with accum (a gradient added into the one there) y[i] = v + y[i].
fn store_y(i: u32, v: f32) {
  if (p.accum != 0u) { y[i] = v + y[i]; } else { y[i] = v; }
}

struct TiledGradParams {
  cin: u32, h: u32, w: u32, kh: u32,
  kw: u32, pad: i32, cout: u32, ho: u32,
  wo: u32, pixels: u32, k_total: u32, q_per_split: u32,
  split_len: u32, m_blocks: u32, n_blocks: u32, accum: u32,
  bias_on: u32, baccum: u32,
}

@group(0) @binding(0) var<uniform> g: TiledGradParams;
@group(0) @binding(1) var<storage, read> gx: array<f32>;  // (N, Cin, H, W)
@group(0) @binding(2) var<storage, read> gdy: array<f32>;  // (N, Cout, Ho, Wo)
@group(0) @binding(3) var<storage, read_write> part: array<f32>;  // (splits, Cout, Cin, KH, KW)
// store_bias(split, co, v): bpart[split, co + c] = v[c] for the channels below Cout (added with
// baccum), and its binding 4, (splits, Cout); or nothing without the bias gradient.
// @bias_grad

fn gx_at(base: u32, iy: i32, ix: i32, ok: bool) -> f32 {
  if (RF == 1u) {
    return select(0.0, gx[select(0u, base + u32(reflect(iy, g.h)) * g.w + u32(reflect(ix, g.w)), ok)], ok);
  }
  let inside = ok && u32(iy) < g.h && u32(ix) < g.w;
  return select(0.0, gx[select(0u, base + u32(iy) * g.w + u32(ix), inside)], inside);
}

// The gather offsets of four consecutive weight indices k0.. = (ci, ky, kx).
struct Taps { ok: vec4<bool>, ky: vec4i, kx: vec4i, off: vec4u }

fn taps4(k0: u32) -> Taps {
  let k = vec4u(k0) + vec4u(0u, 1u, 2u, 3u);
  let taps = g.kh * g.kw;
  let r = k % taps;
  return Taps(k < vec4u(g.k_total), vec4i(r / g.kw), vec4i(r % g.kw), (k / taps) * (g.h * g.w));
}

fn dy_at(i: u32, ok: bool) -> f32 { return select(0.0, gdy[select(0u, i, ok)], ok); }

@compute @workgroup_size(256)
fn tiled_weight_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_index) lid: u32) {
  let nb = wid.y * nwg.x + wid.x;
  if (nb >= g.n_blocks) { return; }  // the whole workgroup
  let tx = lid % 16u;
  let ty = lid / 16u;
  var acc: array<vec4f, TM * TN / 4u>;
  let n0 = nb * BN;
  let m0 = (wid.z % g.m_blocks) * BM;
  let split = wid.z / g.m_blocks;
  let q0 = split * g.q_per_split;
  let q1 = min(g.pixels, q0 + g.q_per_split);
  let hw = g.ho * g.wo;
  // Every thread stages one pixel (row kk of the slice) of 4·AW/16 channels and 4·BW/16 taps.
  let kk = lid % BK;
  let col = lid / BK;  // 0..15
  let t0 = taps4(n0 + 4u * col);
  let t1 = taps4(n0 + 4u * (col + 16u));  // used when BW is 32
  let co0 = m0 + 4u * col;
  let co1 = m0 + 4u * (col + 16u);  // used when AW is 32
  // The threads that sum the bias gradient of channels m0 + 4·lid.. (A's vec4 lid of each row).
  let bias_sum = g.bias_on != 0u && nb == 0u && lid < AW;
  var bsum = vec4f();
  for (var qb = q0; qb < q1; qb += BK) {
    let q = qb + kk;
    let qok = q < q1;
    let img = q / hw;
    let rem = q % hw;
    let iy = i32((rem / g.wo) * S) - g.pad;
    let ix = i32((rem % g.wo) * S) - g.pad;
    let xb = img * g.cin * g.h * g.w;
    let db = img * g.cout * hw + rem;
    As[kk * AW + col] = vec4f(dy_at(db + co0 * hw, qok && co0 < g.cout),
                              dy_at(db + (co0 + 1u) * hw, qok && co0 + 1u < g.cout),
                              dy_at(db + (co0 + 2u) * hw, qok && co0 + 2u < g.cout),
                              dy_at(db + (co0 + 3u) * hw, qok && co0 + 3u < g.cout));
    if (AW > 16u) {
      As[kk * AW + col + 16u] = vec4f(dy_at(db + co1 * hw, qok && co1 < g.cout),
                                      dy_at(db + (co1 + 1u) * hw, qok && co1 + 1u < g.cout),
                                      dy_at(db + (co1 + 2u) * hw, qok && co1 + 2u < g.cout),
                                      dy_at(db + (co1 + 3u) * hw, qok && co1 + 3u < g.cout));
    }
    let o0 = t0.off + xb;
    Bs[kk * BW + col] = vec4f(gx_at(o0.x, iy + t0.ky.x, ix + t0.kx.x, qok && t0.ok.x),
                              gx_at(o0.y, iy + t0.ky.y, ix + t0.kx.y, qok && t0.ok.y),
                              gx_at(o0.z, iy + t0.ky.z, ix + t0.kx.z, qok && t0.ok.z),
                              gx_at(o0.w, iy + t0.ky.w, ix + t0.kx.w, qok && t0.ok.w));
    if (BW > 16u) {
      let o1 = t1.off + xb;
      Bs[kk * BW + col + 16u] = vec4f(gx_at(o1.x, iy + t1.ky.x, ix + t1.kx.x, qok && t1.ok.x),
                                      gx_at(o1.y, iy + t1.ky.y, ix + t1.kx.y, qok && t1.ok.y),
                                      gx_at(o1.z, iy + t1.ky.z, ix + t1.kx.z, qok && t1.ok.z),
                                      gx_at(o1.w, iy + t1.ky.w, ix + t1.kx.w, qok && t1.ok.w));
    }
    workgroupBarrier();
    if (bias_sum) {
      for (var kk = 0u; kk < BK; kk++) { bsum += As[kk * AW + lid]; }
    }
    for (var kk = 0u; kk < BK; kk++) {
      // @mac
    }
    workgroupBarrier();
  }
  let base = split * g.split_len;
  // @store_g
  if (bias_sum) { store_bias(split, m0 + 4u * lid, bsum); }
}

// Four results of channel co at weight indices k.. of split `base`'s part.
fn put_g(co: u32, k: u32, ok: vec4<bool>, acc: vec4f, base: u32) {
  if (co >= g.cout) { return; }
  let o = base + co * g.k_total + k;
  if (ok.x) { store_g(o, acc.x); }
  if (ok.y) { store_g(o + 1u, acc.y); }
  if (ok.z) { store_g(o + 2u, acc.z); }
  if (ok.w) { store_g(o + 3u, acc.w); }
}

// part[i] = v, or with accum (no splits: part is dw) part[i] = v + part[i].
fn store_g(i: u32, v: f32) {
  if (g.accum != 0u) { part[i] = v + part[i]; } else { part[i] = v; }
}

// Convolution as implicit GEMM on NCHW tensors, for conv2d and conv_transpose2d, forward and
// backward. Every thread keeps a register tile; there is no workgroup memory and no barrier
// (barriers are very expensive on CPU adapters such as lavapipe, and the tiles are read through
// the cache on GPUs). The tile is straight-line vec4/mat4x4 code, because WGSL loops are not
// unrolled by the drivers; its size is set by the constants filled in above this file:
//   MB  output-channel vec4s per thread in `correlate` (TM = 4·MB output channels)
//   NB  pixel vec4s per thread in `correlate` (TN = 4·NB consecutive output columns)
//   CB  output-channel vec4s per thread in `weight_grad`
//   KWV tap vec4s per thread in `weight_grad` (up to 4·KWV kernel columns per dispatch)
//   S   the input stride of `correlate` and `weight_grad`
//   WG  threads per workgroup
//
// correlate: conv2d forward, and one output phase of the input gradient (= conv_transpose2d):
//   y[n, co, oy·OS + ro, ox·OS + rx] =
//     bias[co] + Σ_{ci, ky < KH, kx < KW} wt[ci, ky, kx, co] · x[n, ci, oy·S + ky - py, ox·S + kx - px]
//   with x zero outside the image. A thread computes TM channels × TN columns of one output row,
//   sliding a window of the input row along the kernel columns (one new load per tap).
// weight_grad: one split of the weight gradient, over the output rows r0 <= n·Ho + oy < r1:
//   part[split, co, ci, ky, kx] = Σ dy[n, co, oy, ox] · x[n, ci, oy·S + ky - pad, ox·S + kx - pad]
//   A thread owns 4·CB output channels × 4 input channels × 4·KWV kernel columns of one kernel
//   row, sliding a window of 4 input rows along the output columns.
// pack: weights rearranged for `correlate`, optionally with in/out channels swapped and taps
//   subsampled and flipped (the input gradient's phase kernels).
// channel_sum: one split of the bias gradient, Σ over the rows of a split of each channel.
// reduce_splits: out[i] = Σ_s part[s, i], a deterministic second pass.

const TM = 4u * MB;
const TN = 4u * NB;

struct CorrelateParams {
  cin: u32, h: u32, w: u32, kh: u32,
  kw: u32, py: i32, px: i32, cout: u32,
  coutv: u32, ho: u32, wo: u32, out_h: u32,
  out_w: u32, os: u32, ro: u32, rx: u32,
  tiles_x: u32, tiles: u32, has_bias: u32,
}

@group(0) @binding(0) var<uniform> p: CorrelateParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, Cin, H, W)
@group(0) @binding(2) var<storage, read> wt: array<vec4f>;  // (Cin, KH, KW, Coutp / 4)
@group(0) @binding(3) var<storage, read> bias: array<f32>;  // (Cout), read if has_bias
@group(0) @binding(4) var<storage, read_write> y: array<f32>;  // (N, Cout, out_h, out_w)

// x[base + col], or 0 outside the row.
fn x_at(base: i32, col: i32, row_ok: bool) -> f32 {
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

// Writes a 4 channel × 4 column block (acc[c][r] is channel co0 + r, column ox0 + c).
fn store_block(acc: mat4x4f, n: u32, co0: u32, oyo: u32, ox0: u32) {
  for (var r = 0u; r < 4u; r++) {
    let co = co0 + r;
    if (co >= p.cout) { return; }
    let b = select(0.0, bias[min(co, p.cout - 1u)], p.has_bias != 0u);
    let row = ((n * p.cout + co) * p.out_h + oyo) * p.out_w;
    let v = vec4f(acc[0][r], acc[1][r], acc[2][r], acc[3][r]) + b;
    if (ox0 < p.wo) { y[row + ox0 * p.os + p.rx] = v.x; }
    if (ox0 + 1u < p.wo) { y[row + (ox0 + 1u) * p.os + p.rx] = v.y; }
    if (ox0 + 2u < p.wo) { y[row + (ox0 + 2u) * p.os + p.rx] = v.z; }
    if (ox0 + 3u < p.wo) { y[row + (ox0 + 3u) * p.os + p.rx] = v.w; }
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
  let cv = wid.z * MB;  // first output channel vec4
  let col0 = i32(ox0 * S) - p.px;
  // a[i][j]: channels 4(cv + i).., columns ox0 + 4j..
  var a00 = mat4x4f(); var a01 = mat4x4f(); var a02 = mat4x4f(); var a03 = mat4x4f();
  var a10 = mat4x4f(); var a11 = mat4x4f(); var a12 = mat4x4f(); var a13 = mat4x4f();
  for (var ci = 0u; ci < p.cin; ci++) {
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = i32(oy * S + ky) - p.py;
      let row_ok = live && u32(iy) < p.h;
      let base = (i32((n * p.cin + ci) * p.h) + iy) * i32(p.w);
      // e holds the columns of tap kx: col0 + j·S + kx; with S = 2, o holds those of tap kx + 1.
      var e = x_window(base, col0, i32(S), row_ok);
      var o = mat4x4f();
      if (S == 2u) { o = x_window(base, col0 + 1, 2, row_ok); }
      var wi = (ci * p.kh + ky) * p.kw * p.coutv + cv;
      for (var kx = 0u; kx < p.kw; kx++) {
        let w0 = wt[wi];
        a00 = outer(a00, w0, e[0]);
        if (NB > 1u) { a01 = outer(a01, w0, e[1]); }
        if (NB > 2u) { a02 = outer(a02, w0, e[2]); }
        if (NB > 3u) { a03 = outer(a03, w0, e[3]); }
        if (MB > 1u) {
          let w1 = wt[wi + 1u];
          a10 = outer(a10, w1, e[0]);
          if (NB > 1u) { a11 = outer(a11, w1, e[1]); }
          if (NB > 2u) { a12 = outer(a12, w1, e[2]); }
          if (NB > 3u) { a13 = outer(a13, w1, e[3]); }
        }
        wi += p.coutv;
        let v = x_at(base, col0 + i32(S * TN + kx), row_ok);
        if (S == 1u) {
          e = slide(e, v);
        } else {
          let next = slide(e, v);
          e = o;
          o = next;
        }
      }
    }
  }
  if (!live) { return; }
  let oyo = oy * p.os + p.ro;
  let co0 = cv * 4u;
  store_block(a00, n, co0, oyo, ox0);
  if (NB > 1u) { store_block(a01, n, co0, oyo, ox0 + 4u); }
  if (NB > 2u) { store_block(a02, n, co0, oyo, ox0 + 8u); }
  if (NB > 3u) { store_block(a03, n, co0, oyo, ox0 + 12u); }
  if (MB > 1u) {
    store_block(a10, n, co0 + 4u, oyo, ox0);
    if (NB > 1u) { store_block(a11, n, co0 + 4u, oyo, ox0 + 4u); }
    if (NB > 2u) { store_block(a12, n, co0 + 4u, oyo, ox0 + 8u); }
    if (NB > 3u) { store_block(a13, n, co0 + 4u, oyo, ox0 + 12u); }
  }
}

struct WeightGradParams {
  cin: u32, h: u32, w: u32, kh: u32,
  kw: u32, pad: i32, cout: u32, ho: u32,
  wo: u32, rows: u32, rows_per_split: u32, kx0: u32,
  ci_tiles: u32, tiles: u32,
}

@group(0) @binding(0) var<uniform> g: WeightGradParams;
@group(0) @binding(1) var<storage, read> gx: array<f32>;  // (N, Cin, H, W)
@group(0) @binding(2) var<storage, read> gdy: array<f32>;  // (N, Cout, Ho, Wo)
@group(0) @binding(3) var<storage, read_write> part: array<f32>;  // (splits, Cout, Cin, KH, KW)

// gx[base + col], or 0 outside the row.
fn gx_at(base: i32, col: i32, ok: bool) -> f32 {
  return select(0.0, gx[u32(max(base + col, 0))], ok && u32(col) < g.w);
}

// dy of 4 output channels (4 planes apart) at one position, 0 past Cout.
fn gdy_vec(i: u32, plane: u32, co: u32) -> vec4f {
  let last = arrayLength(&gdy) - 1u;
  return vec4f(select(0.0, gdy[min(i, last)], co < g.cout),
               select(0.0, gdy[min(i + plane, last)], co + 1u < g.cout),
               select(0.0, gdy[min(i + 2u * plane, last)], co + 2u < g.cout),
               select(0.0, gdy[min(i + 3u * plane, last)], co + 3u < g.cout));
}

// The input row at columns col..col + 3.
fn gx_vec(base: i32, col: i32, ok: bool) -> vec4f {
  return vec4f(gx_at(base, col, ok), gx_at(base, col + 1, ok),
               gx_at(base, col + 2, ok), gx_at(base, col + 3, ok));
}

// Moves a window of 4·KWV taps (lo, then hi) S places on; v holds the S new values.
fn shift_lo(lo: vec4f, hi: vec4f, v: vec2f) -> vec4f {
  if (S == 1u) { return vec4f(lo.yzw, select(hi.x, v.x, KWV == 1u)); }
  return vec4f(lo.zw, select(hi.xy, v, KWV == 1u));
}
fn shift_hi(hi: vec4f, v: vec2f) -> vec4f {
  if (S == 1u) { return vec4f(hi.yzw, v.x); }
  return vec4f(hi.zw, v);
}

// Writes the taps of one (co, ci) pair of the partial gradient.
fn store_taps(i: u32, co: u32, ci: u32, ky: u32, lo: vec4f, hi: vec4f) {
  if (co >= g.cout || ci >= g.cin) { return; }
  let row = ((i * g.cout + co) * g.cin + ci) * g.kh + ky;
  for (var k = 0u; k < 4u * KWV; k++) {
    let kx = g.kx0 + k;
    if (kx >= g.kw) { return; }
    part[row * g.kw + kx] = select(hi[k % 4u], lo[k % 4u], k < 4u);
  }
}

@compute @workgroup_size(WG)
fn weight_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  let live = t < g.tiles;
  let ci0 = (t % g.ci_tiles) * 4u;
  let rest = t / g.ci_tiles;
  let ky = rest % g.kh;
  let co0 = (rest / g.kh) * 4u * CB;
  let r0 = wid.z * g.rows_per_split;
  let r1 = min(r0 + g.rows_per_split, g.rows);
  let plane = g.ho * g.wo;
  let xplane = i32(g.h * g.w);
  // l[c][ci]: taps kx0..kx0+3 of output channel co0 + c and input channel ci0 + ci; h: the next 4.
  var l0 = mat4x4f(); var l1 = mat4x4f(); var l2 = mat4x4f(); var l3 = mat4x4f();
  var l4 = mat4x4f(); var l5 = mat4x4f(); var l6 = mat4x4f(); var l7 = mat4x4f();
  var h0 = mat4x4f(); var h1 = mat4x4f(); var h2 = mat4x4f(); var h3 = mat4x4f();
  var h4 = mat4x4f(); var h5 = mat4x4f(); var h6 = mat4x4f(); var h7 = mat4x4f();
  for (var r = r0; r < r1; r++) {
    let n = r / g.ho;
    let oy = r % g.ho;
    let iy = i32(oy * S + ky) - g.pad;
    let row_ok = live && u32(iy) < g.h;
    let b0 = (i32((n * g.cin + ci0) * g.h) + iy) * i32(g.w);
    let b1 = b0 + xplane;
    let b2 = b1 + xplane;
    let b3 = b2 + xplane;
    let ok0 = row_ok && ci0 < g.cin;
    let ok1 = row_ok && ci0 + 1u < g.cin;
    let ok2 = row_ok && ci0 + 2u < g.cin;
    let ok3 = row_ok && ci0 + 3u < g.cin;
    // xl[ci]: input channel ci0 + ci at columns col.. col + 3 (taps kx0..), xh[ci]: the next 4.
    var col = i32(g.kx0) - g.pad;
    var xl = mat4x4f(gx_vec(b0, col, ok0), gx_vec(b1, col, ok1),
                     gx_vec(b2, col, ok2), gx_vec(b3, col, ok3));
    var xh = mat4x4f();
    if (KWV > 1u) {
      xh = mat4x4f(gx_vec(b0, col + 4, ok0), gx_vec(b1, col + 4, ok1),
                   gx_vec(b2, col + 4, ok2), gx_vec(b3, col + 4, ok3));
    }
    var di = ((n * g.cout + co0) * g.ho + oy) * g.wo;
    for (var ox = 0u; ox < g.wo; ox++) {
      let d0 = gdy_vec(di, plane, co0);
      l0 += xl * d0.x; l1 += xl * d0.y; l2 += xl * d0.z; l3 += xl * d0.w;
      var d1 = vec4f();
      if (CB > 1u) {
        d1 = gdy_vec(di + 4u * plane, plane, co0 + 4u);
        l4 += xl * d1.x; l5 += xl * d1.y; l6 += xl * d1.z; l7 += xl * d1.w;
      }
      if (KWV > 1u) {
        h0 += xh * d0.x; h1 += xh * d0.y; h2 += xh * d0.z; h3 += xh * d0.w;
        if (CB > 1u) {
          h4 += xh * d1.x; h5 += xh * d1.y; h6 += xh * d1.z; h7 += xh * d1.w;
        }
      }
      di += 1u;
      col += i32(S);
      // The S columns that enter the window.
      let nc = col + i32(4u * KWV - S);
      let v0 = vec2f(gx_at(b0, nc, ok0), select(0.0, gx_at(b0, nc + 1, ok0), S == 2u));
      let v1 = vec2f(gx_at(b1, nc, ok1), select(0.0, gx_at(b1, nc + 1, ok1), S == 2u));
      let v2 = vec2f(gx_at(b2, nc, ok2), select(0.0, gx_at(b2, nc + 1, ok2), S == 2u));
      let v3 = vec2f(gx_at(b3, nc, ok3), select(0.0, gx_at(b3, nc + 1, ok3), S == 2u));
      xl = mat4x4f(shift_lo(xl[0], xh[0], v0), shift_lo(xl[1], xh[1], v1),
                   shift_lo(xl[2], xh[2], v2), shift_lo(xl[3], xh[3], v3));
      if (KWV > 1u) {
        xh = mat4x4f(shift_hi(xh[0], v0), shift_hi(xh[1], v1),
                     shift_hi(xh[2], v2), shift_hi(xh[3], v3));
      }
    }
  }
  if (!live) { return; }
  let i = wid.z;
  for (var c = 0u; c < 4u; c++) {
    store_taps(i, co0, ci0 + c, ky, l0[c], h0[c]);
    store_taps(i, co0 + 1u, ci0 + c, ky, l1[c], h1[c]);
    store_taps(i, co0 + 2u, ci0 + c, ky, l2[c], h2[c]);
    store_taps(i, co0 + 3u, ci0 + c, ky, l3[c], h3[c]);
    if (CB > 1u) {
      store_taps(i, co0 + 4u, ci0 + c, ky, l4[c], h4[c]);
      store_taps(i, co0 + 5u, ci0 + c, ky, l5[c], h5[c]);
      store_taps(i, co0 + 6u, ci0 + c, ky, l6[c], h6[c]);
      store_taps(i, co0 + 7u, ci0 + c, ky, l7[c], h7[c]);
    }
  }
}

struct PackParams {
  cout: u32, cin: u32, kh: u32, kw: u32,
  th: u32, tw: u32, ky0: i32, kx0: i32,
  step: i32, swap: u32, outp: u32, total: u32,
}

@group(0) @binding(0) var<uniform> k: PackParams;
@group(0) @binding(1) var<storage, read> weight: array<f32>;  // (Cout, Cin, KH, KW)
@group(0) @binding(2) var<storage, read_write> packed: array<f32>;  // (A, TH, TW, outp)

// packed[a, ty, tx, b] = weight[co, ci, ky0 + step·ty, kx0 + step·tx], where (a, b) is (ci, co),
// or (co, ci) when swap is set; 0 for b past its channel count (padding to outp).
@compute @workgroup_size(256)
fn pack(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= k.total) { return; }
  let b = i % k.outp;
  let rest = i / k.outp;
  let tx = rest % k.tw;
  let ty = (rest / k.tw) % k.th;
  let a = rest / (k.tw * k.th);
  let co = select(b, a, k.swap != 0u);
  let ci = select(a, b, k.swap != 0u);
  let ky = u32(k.ky0 + k.step * i32(ty));
  let kx = u32(k.kx0 + k.step * i32(tx));
  let inside = co < k.cout && ci < k.cin;
  let src = ((min(co, k.cout - 1u) * k.cin + min(ci, k.cin - 1u)) * k.kh + ky) * k.kw + kx;
  packed[i] = select(0.0, weight[src], inside);
}

struct SumParams {
  channels: u32, plane: u32, rows: u32, rows_per_split: u32,
  height: u32, total: u32,
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
  sums[i] = s;
}

struct ReduceParams {
  len: u32, splits: u32,
}

@group(0) @binding(0) var<uniform> rp: ReduceParams;
@group(0) @binding(1) var<storage, read> parts: array<f32>;  // (splits, len)
@group(0) @binding(2) var<storage, read_write> total: array<f32>;  // (len)

@compute @workgroup_size(256)
fn reduce_splits(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= rp.len) { return; }
  var s = 0.0;
  for (var j = 0u; j < rp.splits; j++) { s += parts[j * rp.len + i]; }
  total[i] = s;
}

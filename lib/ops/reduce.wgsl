// Full reductions to one value, and the elementwise losses that reduce the same way.
//   sum:  y = a * sum_i t(x_i, z_i)       with a = 1 (sum) or 1/n (mean)
//   term t by mode: 0: x          1: (x - z)^2      2: |x - z|
//                   3: -(z log x + (1 - z) log(1 - x)), each log clamped at -100 as PyTorch's BCE
// z is a tensor when p.has_z is 1, else the constant p.c.
// Pass 1 (partial): workgroup g sums a grid-stride share into partial[offset + g] (fixed order).
// Pass 2 (total): one workgroup sums the partials into y[0] and scales by a. Deterministic.
// Backward (grad): dx_i = a * (w * dy[0]) * dt/dx (which = 0 for z, 1 for x in terms 0..3 as
// named by mode; mode + 8 asks for dt/dz instead); w is a weighted sum's weight of the term, or 1.
// A weighted sum of losses (total_terms) runs pass 1 once per term into one partial buffer, then
// one workgroup sums each term's partials as `total` would, scales them by a_k and w_k and adds
// the terms in order: ((y_0 + y_1) + y_2) + ..., the same bits as `total`, a scale per term and
// the additions as separate passes. partial_pair and grad_pair run pass 1 and the backward of two
// terms in one dispatch: the first term's workgroups, then the second's, each computing what its
// own dispatch would (the same bits).

struct Params {
  n: u32,
  mode: u32,
  has_z: u32,
  c: f32,
  a: f32,
  groups: u32,
  offset: u32,  // of this term's partials
  w: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

// total_terms: per term k (groups, offset, bits of a, bits of w).
struct TermsParams {
  terms: u32,
  info: array<vec4u, 14>,
}

@group(0) @binding(0) var<uniform> q: TermsParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // (n)
@group(0) @binding(2) var<storage, read> z: array<f32>;  // (n), or (1) unused when has_z is 0
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;  // (groups)
@group(0) @binding(1) var<storage, read> partial_in: array<f32>;  // (groups), in pass 2
@group(0) @binding(2) var<storage, read_write> y: array<f32>;  // (1), in pass 2
@group(0) @binding(3) var<storage, read> dy: array<f32>;  // (1)
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;  // (n)

var<workgroup> tile: array<f32, 256>;

fn target_at(i: u32) -> f32 {
  if (p.has_z == 1u) { return z[i]; }
  return p.c;
}

fn term(v: f32, t: f32) -> f32 {
  return term_of(p.mode, v, t);
}

fn term_of(mode: u32, v: f32, t: f32) -> f32 {
  switch mode {
    case 1u: { return (v - t) * (v - t); }
    case 2u: { return abs(v - t); }
    case 3u: { return -(t * max(log(v), -100.0) + (1.0 - t) * max(log(1.0 - v), -100.0)); }
    default: { return v; }
  }
}

fn reduce_tile(lid: u32) {
  for (var s = 128u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) { tile[lid] += tile[lid + s]; }
  }
  workgroupBarrier();
}

@compute @workgroup_size(256)
fn partial_sum(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = wid.x * 256u + lid; i < p.n; i += p.groups * 256u) {
    acc += term(x[i], target_at(i));
  }
  tile[lid] = acc;
  reduce_tile(lid);
  if (lid == 0u) { partial[p.offset + wid.x] = tile[0]; }
}

@compute @workgroup_size(256)
fn total(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < p.groups; i += 256u) { acc += partial_in[i]; }
  tile[lid] = acc;
  reduce_tile(lid);
  if (lid == 0u) { y[0] = p.a * tile[0]; }
}

@compute @workgroup_size(256)
fn total_terms(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var k = 0u; k < q.terms; k++) {
    let info = q.info[k];
    var acc = 0.0;
    for (var i = lid; i < info.x; i += 256u) { acc += partial_in[info.y + i]; }
    tile[lid] = acc;
    reduce_tile(lid);
    let t = (bitcast<f32>(info.z) * tile[0]) * bitcast<f32>(info.w);
    sum = select(sum + t, t, k == 0u);
    workgroupBarrier();  // every thread has read tile[0] before it is written again
  }
  if (lid == 0u) { y[0] = sum; }
}

@compute @workgroup_size(256)
fn grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= p.n) { return; }
  dx[i] = p.a * (p.w * dy[0]) * derivative(p.mode, x[i], target_at(i));
}

// dt/dx of term `mode` (dt/dz for mode + 8) at x = v, z = t.
fn derivative(mode: u32, v: f32, t: f32) -> f32 {
  switch mode {
    case 1u: { return 2.0 * (v - t); }
    case 2u: { return sign(v - t); }
    // PyTorch: (x - t) / max(x (1 - x), 1e-12)
    case 3u: { return (v - t) / max(v * (1.0 - v), 1e-12); }
    case 9u: { return -2.0 * (v - t); }
    case 10u: { return -sign(v - t); }
    case 11u: { return -(max(log(v), -100.0) - max(log(1.0 - v), -100.0)); }
    default: { return 1.0; }
  }
}

// partial_pair and grad_pair: two terms, each with the fields of Params; `first` is the first
// term's workgroups in grad_pair.
struct Term {
  n: u32, mode: u32, has_z: u32, c: f32,
  a: f32, groups: u32, offset: u32, w: f32,
}

struct PairParams {
  t: array<Term, 2>,
  first: u32,
}

@group(0) @binding(0) var<uniform> pp: PairParams;
@group(0) @binding(4) var<storage, read> px2: array<f32>;  // partial_pair: the second term's x
@group(0) @binding(5) var<storage, read> pz2: array<f32>;  // and z (or its x)
@group(0) @binding(5) var<storage, read> gx2: array<f32>;  // grad_pair: the second term's x
@group(0) @binding(6) var<storage, read> gz2: array<f32>;  // z (or its x)
@group(0) @binding(7) var<storage, read_write> gdx2: array<f32>;  // and gradient

@compute @workgroup_size(256)
fn partial_pair(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let second = wid.x >= pp.t[0].groups;
  let t = pp.t[select(0u, 1u, second)];
  let g = select(wid.x, wid.x - pp.t[0].groups, second);
  var acc = 0.0;
  for (var i = g * 256u + lid; i < t.n; i += t.groups * 256u) {
    if (second) {
      acc += term_of(t.mode, px2[i], select(t.c, pz2[i], t.has_z == 1u));
    } else {
      acc += term_of(t.mode, x[i], select(t.c, z[i], t.has_z == 1u));
    }
  }
  tile[lid] = acc;
  reduce_tile(lid);
  if (lid == 0u) { partial[t.offset + g] = tile[0]; }
}

@compute @workgroup_size(256)
fn grad_pair(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let wg = wid.y * nwg.x + wid.x;
  let second = wg >= pp.first;
  let t = pp.t[select(0u, 1u, second)];
  let i = select(wg, wg - pp.first, second) * 256u + lid;
  if (i >= t.n) { return; }
  if (second) {
    let d = derivative(t.mode, gx2[i], select(t.c, gz2[i], t.has_z == 1u));
    gdx2[i] = t.a * (t.w * dy[0]) * d;
  } else {
    dx[i] = t.a * (t.w * dy[0]) * derivative(t.mode, x[i], select(t.c, z[i], t.has_z == 1u));
  }
}

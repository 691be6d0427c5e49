// Instance norm without affine parameters, per plane q = n * C + c of S = H * W elements:
//   forward:  y = (x - mean) / sqrt(var + eps), var the biased variance (PyTorch's).
//   backward: dx = rstd * (dy - mean(dy) - y * mean(dy * y)), rstd = 1 / sqrt(var + eps), with
//             the means taken over the plane; y is the saved output (x normalized).
// Statistics are numerically stable: values are shifted by the plane's first element (so a large
// common offset cancels exactly), accumulated per thread with Welford's update and merged with
// Chan's formula for (count, mean, M2); never E[x^2] - E[x]^2.
// Reductions run in two levels. A workgroup of 256 threads reduces one chunk of CHUNK = 4096
// elements of a plane (16 per thread, strided so that loads coalesce) with two barriers: 16
// threads merge 16 partials each, then one thread merges those 16. One thread per plane then
// merges the plane's chunks in order, so results do not depend on scheduling.
//   stats_partial:  x -> part          (planes * chunks workgroups on a 2D grid)
//   stats_combine:  x, part -> stats   (one thread per plane, 64-thread workgroups)
//   normalize:      x, stats -> y      (one thread per element)
//   grad_partial:   y, dy -> gpart     (planes * chunks workgroups)
//   grad_combine:   gpart -> means     (one thread per plane)
//   grad_apply:     y, dy, stats, means -> dx   (one thread per element)
// Element grids are 2D: i = (wid.y * nwg.x + wid.x) * 256 + lid.

const PER = 16u;
const CHUNK = 4096u;  // 256 * PER

struct Params {
  planes: u32,  // N * C
  size: u32,  // S = H * W
  chunks: u32,  // ceil(S / CHUNK)
  eps: f32,
  n: u32,  // planes * S
}

@group(0) @binding(0) var<uniform> p: Params;

// Forward bindings.
@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, C, H, W)
// part: per chunk, the mean minus the plane's shift and M2 (its count follows from S).
@group(0) @binding(2) var<storage, read_write> part: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(2) var<storage, read> part_in: array<f32>;  // (planes, chunks, 2)
// stats: per plane, the shift (its first element), the mean minus the shift, rstd.
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;  // (planes, 3)
@group(0) @binding(2) var<storage, read> stats_in: array<f32>;  // (planes, 3)
@group(0) @binding(3) var<storage, read_write> y: array<f32>;  // (N, C, H, W)

// Backward bindings.
@group(0) @binding(1) var<storage, read> y_in: array<f32>;  // (N, C, H, W)
@group(0) @binding(2) var<storage, read> dy: array<f32>;  // (N, C, H, W)
// gpart: per chunk, the sums of dy and dy * y; means: per plane, their means.
@group(0) @binding(3) var<storage, read_write> gpart: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(1) var<storage, read> gpart_in: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(2) var<storage, read_write> means: array<f32>;  // (planes, 2)
@group(0) @binding(3) var<storage, read> grad_stats: array<f32>;  // (planes, 3)
@group(0) @binding(4) var<storage, read> means_in: array<f32>;  // (planes, 2)
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;  // (N, C, H, W)

var<workgroup> moments: array<vec3f, 256>;  // (count, mean, M2) per thread
var<workgroup> sums: array<vec2f, 256>;  // (sum dy, sum dy * y) per thread

// Chan et al.'s merge of two (count, mean, M2) triples.
fn merge(a: vec3f, b: vec3f) -> vec3f {
  if (b.x == 0.0) { return a; }
  if (a.x == 0.0) { return b; }
  let n = a.x + b.x;
  let d = b.y - a.y;
  let f = b.x / n;
  return vec3f(n, a.y + d * f, a.z + b.z + d * d * a.x * f);
}

fn chunk_count(k: u32) -> f32 {
  return f32(min(CHUNK, p.size - k * CHUNK));
}

@compute @workgroup_size(256)
fn stats_partial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let w = wid.y * nwg.x + wid.x;  // plane * chunks + chunk
  if (w >= p.planes * p.chunks) { return; }
  let base = (w / p.chunks) * p.size;
  let start = (w % p.chunks) * CHUNK;
  let shift = x[base];
  var m = vec3f(0.0);
  for (var j = 0u; j < PER; j++) {
    let k = start + j * 256u + lid;
    if (k < p.size) {
      let v = x[base + k] - shift;
      m.x += 1.0;
      let d = v - m.y;
      m.y += d / m.x;
      m.z += d * (v - m.y);
    }
  }
  moments[lid] = m;
  workgroupBarrier();
  if (lid < 16u) {
    var t = moments[lid * 16u];
    for (var j = 1u; j < 16u; j++) { t = merge(t, moments[lid * 16u + j]); }
    moments[lid * 16u] = t;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var t = moments[0];
    for (var j = 1u; j < 16u; j++) { t = merge(t, moments[j * 16u]); }
    part[2u * w] = t.y;
    part[2u * w + 1u] = t.z;
  }
}

@compute @workgroup_size(64)
fn stats_combine(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let q = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (q >= p.planes) { return; }
  var t = vec3f(0.0);
  for (var k = 0u; k < p.chunks; k++) {
    let at = 2u * (q * p.chunks + k);
    t = merge(t, vec3f(chunk_count(k), part_in[at], part_in[at + 1u]));
  }
  stats[3u * q] = x[q * p.size];
  stats[3u * q + 1u] = t.y;
  stats[3u * q + 2u] = inverseSqrt(t.z / f32(p.size) + p.eps);
}

@compute @workgroup_size(256)
fn normalize(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= p.n) { return; }
  let q = 3u * (i / p.size);
  y[i] = ((x[i] - stats_in[q]) - stats_in[q + 1u]) * stats_in[q + 2u];
}

@compute @workgroup_size(256)
fn grad_partial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let w = wid.y * nwg.x + wid.x;
  if (w >= p.planes * p.chunks) { return; }
  let base = (w / p.chunks) * p.size;
  let start = (w % p.chunks) * CHUNK;
  var s = vec2f(0.0);
  for (var j = 0u; j < PER; j++) {
    let k = start + j * 256u + lid;
    if (k < p.size) {
      let g = dy[base + k];
      s += vec2f(g, g * y_in[base + k]);
    }
  }
  sums[lid] = s;
  workgroupBarrier();
  if (lid < 16u) {
    var t = sums[lid * 16u];
    for (var j = 1u; j < 16u; j++) { t += sums[lid * 16u + j]; }
    sums[lid * 16u] = t;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var t = sums[0];
    for (var j = 1u; j < 16u; j++) { t += sums[j * 16u]; }
    gpart[2u * w] = t.x;
    gpart[2u * w + 1u] = t.y;
  }
}

@compute @workgroup_size(64)
fn grad_combine(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let q = (wid.y * nwg.x + wid.x) * 64u + lid;
  if (q >= p.planes) { return; }
  var t = vec2f(0.0);
  for (var k = 0u; k < p.chunks; k++) {
    let at = 2u * (q * p.chunks + k);
    t += vec2f(gpart_in[at], gpart_in[at + 1u]);
  }
  means[2u * q] = t.x / f32(p.size);
  means[2u * q + 1u] = t.y / f32(p.size);
}

@compute @workgroup_size(256)
fn grad_apply(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= p.n) { return; }
  let q = i / p.size;
  let m = vec2f(means_in[2u * q], means_in[2u * q + 1u]);
  dx[i] = grad_stats[3u * q + 2u] * (dy[i] - m.x - y_in[i] * m.y);
}

// Instance norm without affine parameters, per plane q = n * C + c of S = H * W elements:
//   forward:  y = (x - mean) * rstd, rstd = 1 / sqrt(var + eps), var the biased variance.
//   backward: dx = rstd * (dy - mean(dy) - y * mean(dy * y)), the means taken over the plane
//             and y the saved output (x normalized).
// The statistics are numerically stable, never E[x^2] - E[x]^2: values are taken relative to
// the plane's first element (a large common offset cancels exactly); each thread sums its values
// relative to its own first one (the shifted-data algorithm, whose error stays small because the
// shift is one of the values) into (count, mean, M2), and these merge with Chan's formula.
// A plane splits into `chunks` chunks of 256 * per elements; one workgroup of 256 threads
// handles one chunk, each thread every 256th element from its own (loads coalesce). Two
// dispatches a pass, barriers only in the reductions:
//   chunk_stats: x -> part             per chunk (mean - shift, M2), by chunk_moments in
//                                      shaders/moments.wgsl: 16 threads merge 16
//                                      threads' triples each, then one thread merges those 16.
//   normalize:   x, part -> y, stats   every thread merges its plane's chunks (few) in order;
//                                      one saves (shift, mean - shift, rstd) for the backward.
//   grad_sums:   y, dy, stats -> gpart per chunk (sum dy, sum dy * y), reduced the same way.
//   grad_apply:  y, dy, stats, gpart -> dx
// With ReLU fused (relu 1): normalize writes max(y, 0); the backward gets x in place of y and
// recomputes y from it and the stats with normalize's own expression (so the same bits), and
// passes dy only where y > 0, as ReLU's backward would.
// Every merge and sum runs in a fixed order, so results do not depend on scheduling.
// Workgroups form a 2D grid: w = wid.y * nwg.x + wid.x = q * chunks + chunk.

struct Params {
  planes: u32,  // N * C
  size: u32,  // S = H * W
  chunks: u32,  // chunks per plane
  per: u32,  // elements per thread per chunk
  eps: f32,
  relu: u32,  // 1: ReLU fused (see the header)
}

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, C, H, W)
// part: per chunk, its mean minus the plane's shift and its M2 (its count follows from S).
@group(0) @binding(2) var<storage, read_write> part: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(2) var<storage, read> part_in: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(3) var<storage, read_write> y: array<f32>;  // (N, C, H, W)
// stats: per plane, the shift (its first element), the mean minus the shift, and rstd.
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;  // (planes, 3)

// y_in: y, or with ReLU fused the input x, y then recomputed from it and the stats.
@group(0) @binding(1) var<storage, read> y_in: array<f32>;  // (N, C, H, W)
@group(0) @binding(2) var<storage, read> dy: array<f32>;  // (N, C, H, W)
// gpart: per chunk, the sums of dy and of dy * y.
@group(0) @binding(3) var<storage, read_write> gpart: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(3) var<storage, read> gpart_in: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(4) var<storage, read> stats_in: array<f32>;  // (planes, 3)
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;  // (N, C, H, W)

var<workgroup> sums: array<vec2f, 256>;  // (sum dy, sum dy * y) per thread

fn workgroup_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y * nwg.x + wid.x;
}

// The normalized value at i (of plane q): y_in[i], or with ReLU fused recomputed from x as
// `normalize` computed it (the same bits).
fn y_at(i: u32, q: u32) -> f32 {
  if (p.relu == 0u) { return y_in[i]; }
  return ((y_in[i] - stats_in[3u * q]) - stats_in[3u * q + 1u]) * stats_in[3u * q + 2u];
}

// The gradient reaching y at i, given y there: with ReLU fused, only where y > 0.
fn dy_at(i: u32, v: f32) -> f32 {
  return select(dy[i], 0.0, p.relu != 0u && !(v > 0.0));
}

@compute @workgroup_size(256)
fn chunk_stats(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.planes * p.chunks) { return; }
  let base = (w / p.chunks) * p.size;
  let chunk = 256u * p.per;
  let first = base + (w % p.chunks) * chunk;
  let end = base + min(p.size, (w % p.chunks + 1u) * chunk);
  let t = chunk_moments(lid, first, end, x[base]);
  if (lid == 0u) {
    part[2u * w] = t.y;
    part[2u * w + 1u] = t.z;
  }
}

@compute @workgroup_size(256)
fn normalize(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.planes * p.chunks) { return; }
  let q = w / p.chunks;
  let base = q * p.size;
  let chunk = 256u * p.per;
  var t = vec3f(0.0);
  for (var k = 0u; k < p.chunks; k++) {
    let at = 2u * (q * p.chunks + k);
    let count = min(chunk, p.size - min(p.size, k * chunk));
    t = merge(t, vec3f(f32(count), part_in[at], part_in[at + 1u]));
  }
  let shift = x[base];
  let rstd = inverseSqrt(t.z / f32(p.size) + p.eps);
  if (w % p.chunks == 0u && lid == 0u) {
    stats[3u * q] = shift;
    stats[3u * q + 1u] = t.y;
    stats[3u * q + 2u] = rstd;
  }
  let end = base + min(p.size, (w % p.chunks + 1u) * chunk);
  for (var i = base + (w % p.chunks) * chunk + lid; i < end; i += 256u) {
    let v = ((x[i] - shift) - t.y) * rstd;
    y[i] = select(v, max(v, 0.0), p.relu != 0u);
  }
}

@compute @workgroup_size(256)
fn grad_sums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.planes * p.chunks) { return; }
  let q = w / p.chunks;
  let base = q * p.size;
  let chunk = 256u * p.per;
  let end = base + min(p.size, (w % p.chunks + 1u) * chunk);
  var s = vec2f(0.0);
  for (var i = base + (w % p.chunks) * chunk + lid; i < end; i += 256u) {
    let v = y_at(i, q);
    let g = dy_at(i, v);
    s += vec2f(g, g * v);
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

@compute @workgroup_size(256)
fn grad_apply(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.planes * p.chunks) { return; }
  let q = w / p.chunks;
  let base = q * p.size;
  let chunk = 256u * p.per;
  var t = vec2f(0.0);
  for (var k = 0u; k < p.chunks; k++) {
    let at = 2u * (q * p.chunks + k);
    t += vec2f(gpart_in[at], gpart_in[at + 1u]);
  }
  let m = t / f32(p.size);  // (mean dy, mean dy * y)
  let rstd = stats_in[3u * q + 2u];
  let end = base + min(p.size, (w % p.chunks + 1u) * chunk);
  for (var i = base + (w % p.chunks) * chunk + lid; i < end; i += 256u) {
    let v = y_at(i, q);
    dx[i] = rstd * (dy_at(i, v) - m.x - v * m.y);
  }
}

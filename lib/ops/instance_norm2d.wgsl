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
// Where a workgroup has a whole plane (chunks 1, many planes), one dispatch a pass:
//   normalize_plane: x -> part, y, stats   chunk_stats and normalize in one (the same bits).
//   grad_plane:      y, dy, stats -> gpart, dx   grad_sums and grad_apply in one (the same bits).
// With an activation fused (act 1: ReLU; act 2: LeakyReLU of negative slope `slope`): normalize
// writes act(y); the backward gets x in place of y and recomputes y from it and the stats with
// normalize's own expression (so the same bits), and passes the gradient through the activation
// as its own backward would (ReLU: dy where y > 0, else 0; LeakyReLU: dy · (y > 0 ? 1 : slope)).
// Every merge and sum runs in a fixed order, so results do not depend on scheduling.
// Workgroups form a 2D grid: w = wid.y * nwg.x + wid.x = q * chunks + chunk.

struct Params {
  planes: u32,  // N * C
  size: u32,  // S = H * W
  chunks: u32,  // chunks per plane
  per: u32,  // elements per thread per chunk
  eps: f32,
  act: u32,  // an activation fused (see the header): 0 none, 1 ReLU, 2 LeakyReLU
  slope: f32,  // LeakyReLU's slope for y <= 0
}

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, C, H, W)
// part: per chunk, its mean minus the plane's shift and its M2 (its count follows from S).
@group(0) @binding(2) var<storage, read_write> part: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(2) var<storage, read> part_in: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(3) var<storage, read_write> y: array<f32>;  // (N, C, H, W)
// stats: per plane, the shift (its first element), the mean minus the shift, and rstd.
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;  // (planes, 3)

// y_in: y, or with an activation fused the input x, y then recomputed from it and the stats.
@group(0) @binding(1) var<storage, read> y_in: array<f32>;  // (N, C, H, W)
@group(0) @binding(2) var<storage, read> dy: array<f32>;  // (N, C, H, W)
// gpart: per chunk, the sums of dy and of dy * y.
@group(0) @binding(3) var<storage, read_write> gpart: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(3) var<storage, read> gpart_in: array<f32>;  // (planes, chunks, 2)
@group(0) @binding(4) var<storage, read> stats_in: array<f32>;  // (planes, 3)
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;  // (N, C, H, W)

var<workgroup> sums: array<vec2f, 256>;  // (sum dy, sum dy * y) per thread
var<workgroup> plane_moments: vec3f;  // normalize_plane: the plane's (count, mean - shift, M2)

fn workgroup_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y * nwg.x + wid.x;
}

// The normalized value at i (of plane q): y_in[i], or with an activation fused recomputed from
// x as `normalize` computed it (the same bits).
fn y_at(i: u32, q: u32) -> f32 {
  if (p.act == 0u) { return y_in[i]; }
  return ((y_in[i] - stats_in[3u * q]) - stats_in[3u * q + 1u]) * stats_in[3u * q + 2u];
}

// The gradient reaching y at i, given y there: with an activation fused, its backward's.
fn dy_at(i: u32, v: f32) -> f32 {
  if (p.act == 2u) { return select(p.slope, 1.0, v > 0.0) * dy[i]; }
  return select(dy[i], 0.0, p.act == 1u && !(v > 0.0));
}

// The activation's value at v (none unless fused), by shaders/gather_epilogue.wgsl's activate.
fn activated(v: f32) -> f32 {
  return activate(vec4f(v), p.act, p.slope).x;
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
    y[i] = activated(((x[i] - shift) - t.y) * rstd);
  }
}

@compute @workgroup_size(256)
fn normalize_plane(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_index) lid: u32) {
  let q = workgroup_index(wid, nwg);
  if (q >= p.planes) { return; }
  let base = q * p.size;
  let shift = x[base];
  let m = chunk_moments(lid, base, base + p.size, shift);
  if (lid == 0u) {
    plane_moments = m;
    part[2u * q] = m.y;
    part[2u * q + 1u] = m.z;
  }
  workgroupBarrier();
  let t = plane_moments;
  let rstd = inverseSqrt(t.z / f32(p.size) + p.eps);
  if (lid == 0u) {
    stats[3u * q] = shift;
    stats[3u * q + 1u] = t.y;
    stats[3u * q + 2u] = rstd;
  }
  for (var i = base + lid; i < base + p.size; i += 256u) {
    y[i] = activated(((x[i] - shift) - t.y) * rstd);
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
  let t = grad_chunk_sums(lid, q, base + (w % p.chunks) * chunk, end);
  if (lid == 0u) {
    gpart[2u * w] = t.x;
    gpart[2u * w + 1u] = t.y;
  }
}

// (sum dy, sum dy * y) over y_in[first + lid], y_in[first + lid + 256], ... below end, summed
// 16 threads by 16 then by thread 0 in a fixed order; every thread gets the result.
fn grad_chunk_sums(lid: u32, q: u32, first: u32, end: u32) -> vec2f {
  var s = vec2f(0.0);
  for (var i = first + lid; i < end; i += 256u) {
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
    sums[0] = t;
  }
  workgroupBarrier();
  return sums[0];
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

@compute @workgroup_size(256)
fn grad_plane(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let q = workgroup_index(wid, nwg);
  if (q >= p.planes) { return; }
  let base = q * p.size;
  let t = grad_chunk_sums(lid, q, base, base + p.size);
  if (lid == 0u) {
    gpart[2u * q] = t.x;
    gpart[2u * q + 1u] = t.y;
  }
  let m = t / f32(p.size);  // (mean dy, mean dy * y)
  let rstd = stats_in[3u * q + 2u];
  for (var i = base + lid; i < base + p.size; i += 256u) {
    let v = y_at(i, q);
    dx[i] = rstd * (dy_at(i, v) - m.x - v * m.y);
  }
}

// Batch norm with affine parameters, per channel c over the N planes q = n * C + c of S = H * W
// elements each (M = N * S values):
//   training: mean and biased var over the batch; running_mean = (1 - momentum) * running_mean
//             + momentum * mean, running_var likewise with the unbiased var * M / (M - 1).
//   eval:     mean = running_mean, var = running_var.
//   forward:  y = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps).
//   backward: x_hat = (x - mean) * rstd; dweight = sum dy * x_hat, dbias = sum dy, and
//             dx = weight * rstd * (dy - dbias / M - x_hat * dweight / M) in training,
//             dx = weight * rstd * dy in eval (the statistics are constants there).
// Statistics by chunk_moments (shaders/moments.wgsl), as in instance_norm2d.wgsl: values relative to the channel's first element
// x[0, c, 0, 0] (a large common offset cancels exactly), per-thread shifted sums turned into
// (count, mean, M2), merged with Chan's formula; never E[x^2] - E[x]^2.
// A plane splits into `chunks` chunks of 256 * per elements, one workgroup each (a 2D grid:
// w = wid.y * nwg.x + wid.x = q * chunks + chunk), each thread every 256th element. Kernels:
//   chunk_stats:  x -> part                       per chunk (mean - shift, M2)
//   combine:      x, part -> running stats, stats per channel, merging (n, chunk) in order;
//                 in eval it only turns the running statistics into stats
//   normalize:    x, stats, weight, bias -> y
//   grad_sums:    x, stats, dy -> gpart           per chunk (sum dy, sum dy * x_hat)
//   grad_combine: gpart -> dweight, dbias         per channel, in order
//   grad_apply:   x, stats, dy, weight, dweight, dbias -> dx
// Reductions within a workgroup: 16 threads merge 16 threads' values each, then one thread
// merges those 16 (two barriers). Every merge runs in a fixed order: results are deterministic.

struct Params {
  planes: u32,  // N * C
  channels: u32,  // C
  size: u32,  // S = H * W
  chunks: u32,  // chunks per plane
  per: u32,  // elements per thread per chunk
  eps: f32,
  momentum: f32,
  training: u32,  // 1 in training mode
  update: u32,  // 1 to update the running statistics (training mode with running statistics)
}

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, C, H, W)
// part: per chunk, its mean minus the channel's shift and its M2 (its count follows from S).
@group(0) @binding(2) var<storage, read_write> part: array<f32>;  // (N, C, chunks, 2)
@group(0) @binding(2) var<storage, read> part_in: array<f32>;  // (N, C, chunks, 2)
@group(0) @binding(3) var<storage, read_write> running_mean: array<f32>;  // (C)
@group(0) @binding(4) var<storage, read_write> running_var: array<f32>;  // (C)
// stats: per channel, the shift, the mean minus the shift, and rstd (eval: 0, mean, rstd).
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;  // (C, 3)
@group(0) @binding(2) var<storage, read> stats_in: array<f32>;  // (C, 3)
@group(0) @binding(3) var<storage, read> weight: array<f32>;  // (C)
@group(0) @binding(4) var<storage, read> bias: array<f32>;  // (C)
@group(0) @binding(5) var<storage, read_write> y: array<f32>;  // (N, C, H, W)

@group(0) @binding(3) var<storage, read> dy: array<f32>;  // (N, C, H, W)
// gpart: per chunk, the sums of dy and of dy * x_hat.
@group(0) @binding(4) var<storage, read_write> gpart: array<f32>;  // (N, C, chunks, 2)
@group(0) @binding(1) var<storage, read> gpart_in: array<f32>;  // (N, C, chunks, 2)
@group(0) @binding(2) var<storage, read_write> dweight: array<f32>;  // (C)
@group(0) @binding(3) var<storage, read_write> dbias: array<f32>;  // (C)
@group(0) @binding(4) var<storage, read> grad_weight: array<f32>;  // (C), weight in grad_apply
@group(0) @binding(5) var<storage, read> dweight_in: array<f32>;  // (C)
@group(0) @binding(6) var<storage, read> dbias_in: array<f32>;  // (C)
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;  // (N, C, H, W)

var<workgroup> sums: array<vec2f, 256>;  // (sum dy, sum dy * x_hat) per thread

fn workgroup_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y * nwg.x + wid.x;
}

// The elements of workgroup w's chunk, as (first, end), for a loop with step 256 from first + lid.
fn chunk_range(w: u32) -> vec2u {
  let base = (w / p.chunks) * p.size;
  let chunk = 256u * p.per;
  let k = w % p.chunks;
  return vec2u(base + k * chunk, base + min(p.size, (k + 1u) * chunk));
}

@compute @workgroup_size(256)
fn chunk_stats(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.planes * p.chunks) { return; }
  let r = chunk_range(w);
  let shift = x[((w / p.chunks) % p.channels) * p.size];
  let t = chunk_moments(lid, r.x, r.y, shift);
  if (lid == 0u) {
    part[2u * w] = t.y;
    part[2u * w + 1u] = t.z;
  }
}

@compute @workgroup_size(64)
fn combine(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let c = workgroup_index(wid, nwg) * 64u + lid;
  if (c >= p.channels) { return; }
  if (p.training == 0u) {
    stats[3u * c] = 0.0;
    stats[3u * c + 1u] = running_mean[c];
    stats[3u * c + 2u] = inverseSqrt(running_var[c] + p.eps);
    return;
  }
  let chunk = 256u * p.per;
  var t = vec3f(0.0);
  for (var q = c; q < p.planes; q += p.channels) {
    for (var k = 0u; k < p.chunks; k++) {
      let at = 2u * (q * p.chunks + k);
      let count = min(chunk, p.size - min(p.size, k * chunk));
      t = merge(t, vec3f(f32(count), part_in[at], part_in[at + 1u]));
    }
  }
  let shift = x[c * p.size];
  let m = f32(p.planes / p.channels * p.size);
  stats[3u * c] = shift;
  stats[3u * c + 1u] = t.y;
  stats[3u * c + 2u] = inverseSqrt(t.z / m + p.eps);
  if (p.update == 1u) {
    running_mean[c] = (1.0 - p.momentum) * running_mean[c] + p.momentum * (shift + t.y);
    running_var[c] = (1.0 - p.momentum) * running_var[c] + p.momentum * t.z / (m - 1.0);
  }
}

@compute @workgroup_size(256)
fn normalize(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.planes * p.chunks) { return; }
  let r = chunk_range(w);
  let c = (w / p.chunks) % p.channels;
  let s = vec3f(stats_in[3u * c], stats_in[3u * c + 1u], stats_in[3u * c + 2u]);
  let scale = s.z * weight[c];
  let b = bias[c];
  for (var i = r.x + lid; i < r.y; i += 256u) {
    y[i] = ((x[i] - s.x) - s.y) * scale + b;
  }
}

@compute @workgroup_size(256)
fn grad_sums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.planes * p.chunks) { return; }
  let r = chunk_range(w);
  let c = (w / p.chunks) % p.channels;
  let s = vec3f(stats_in[3u * c], stats_in[3u * c + 1u], stats_in[3u * c + 2u]);
  var acc = vec2f(0.0);
  for (var i = r.x + lid; i < r.y; i += 256u) {
    let g = dy[i];
    acc += vec2f(g, g * ((x[i] - s.x) - s.y) * s.z);
  }
  sums[lid] = acc;
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
  let c = workgroup_index(wid, nwg) * 64u + lid;
  if (c >= p.channels) { return; }
  var t = vec2f(0.0);
  for (var q = c; q < p.planes; q += p.channels) {
    for (var k = 0u; k < p.chunks; k++) {
      let at = 2u * (q * p.chunks + k);
      t += vec2f(gpart_in[at], gpart_in[at + 1u]);
    }
  }
  dbias[c] = t.x;
  dweight[c] = t.y;
}

@compute @workgroup_size(256)
fn grad_apply(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let w = workgroup_index(wid, nwg);
  if (w >= p.planes * p.chunks) { return; }
  let r = chunk_range(w);
  let c = (w / p.chunks) % p.channels;
  let s = vec3f(stats_in[3u * c], stats_in[3u * c + 1u], stats_in[3u * c + 2u]);
  let scale = grad_weight[c] * s.z;
  var m = vec2f(0.0);  // (mean dy, mean dy * x_hat) in training
  if (p.training == 1u) {
    m = vec2f(dbias_in[c], dweight_in[c]) / f32(p.planes / p.channels * p.size);
  }
  for (var i = r.x + lid; i < r.y; i += 256u) {
    dx[i] = scale * (dy[i] - m.x - ((x[i] - s.x) - s.y) * s.z * m.y);
  }
}

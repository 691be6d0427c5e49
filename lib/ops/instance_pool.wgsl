// Instance-wise average pooling (pix2pixHD's encoder output): every pixel of instance id k in
// batch element n gets, per channel, the mean of x over the pixels of id k in element n.
//   x: (N, C, H, W) float, inst: (N, 1, H, W) int32, ids: (S) sorted unique ids.
//   means: mean[n, s, c] = sum over {p : inst[n, p] == ids[s]} x[n, c, p] / count   (N, S, C)
//   scatter: y[n, c, p] = mean[n, s(inst[n, p]), c], or x[n, c, p] if the id is not in ids.
// The op is linear and self-adjoint, so the backward pass runs the same two kernels on dy.

struct Params {
  n: u32,  // batch
  c: u32,  // channels
  hw: u32,  // pixels per map
  s: u32,  // ids
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, C, H, W)
@group(0) @binding(2) var<storage, read> inst: array<i32>;  // (N, 1, H, W)
@group(0) @binding(3) var<storage, read> ids: array<i32>;  // (S)
@group(0) @binding(4) var<storage, read_write> means: array<f32>;  // (N, S, C)
@group(0) @binding(4) var<storage, read> means_in: array<f32>;  // (N, S, C)
@group(0) @binding(5) var<storage, read_write> y: array<f32>;  // (N, C, H, W)

var<workgroup> tile: array<vec4f, 256>;
var<workgroup> count: array<u32, 256>;

// One workgroup per (id s, element n): a fixed-order sum, four channels at a time.
@compute @workgroup_size(256)
fn segment_means(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let s = wid.x;
  let n = wid.y;
  let id = ids[s];
  var cnt = 0u;
  for (var q = lid; q < p.hw; q += 256u) { cnt += select(0u, 1u, inst[n * p.hw + q] == id); }
  count[lid] = cnt;
  for (var c0 = 0u; c0 < p.c; c0 += 4u) {
    var acc = vec4f(0.0);
    for (var q = lid; q < p.hw; q += 256u) {
      if (inst[n * p.hw + q] == id) {
        for (var k = 0u; k < 4u; k++) {
          if (c0 + k < p.c) { acc[k] += x[(n * p.c + c0 + k) * p.hw + q]; }
        }
      }
    }
    tile[lid] = acc;
    for (var half = 128u; half > 0u; half = half >> 1u) {
      workgroupBarrier();
      if (lid < half) {
        tile[lid] += tile[lid + half];
        if (c0 == 0u) { count[lid] += count[lid + half]; }
      }
    }
    workgroupBarrier();
    if (lid < 4u && c0 + lid < p.c) {
      let total = f32(max(count[0], 1u));
      means[(n * p.s + s) * p.c + c0 + lid] = tile[0][lid] / total;
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(256)
fn scatter(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= p.n * p.c * p.hw) { return; }
  let q = i % p.hw;
  let c = (i / p.hw) % p.c;
  let n = i / (p.hw * p.c);
  let id = inst[n * p.hw + q];
  var lo = 0u;
  var hi = p.s;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (ids[mid] < id) { lo = mid + 1u; } else { hi = mid; }
  }
  if (lo < p.s && ids[lo] == id) {
    y[i] = means_in[(n * p.s + lo) * p.c + c];
  } else {
    y[i] = x[i];
  }
}

// Channel concat and slice of tensors viewed as (N, C, R), where R is the product of the
// dimensions after the channel one.
//   copy_channels: dst[n, dst_at + c, r] = src[n, src_at + c, r] for c < count, one thread per
//                  copied element. Concat runs it once per input (src_at 0, dst_at its offset)
//                  and its backward once per input the other way; slice runs it once (src_at
//                  start, dst_at 0).
//   slice_backward (a gather over dx): dx[n, c, r] = dy[n, c - src_at, r] for src_at <= c <
//                  src_at + count, else 0.
// Grids are 2D: i = (wid.y * nwg.x + wid.x) * 256 + lid.

struct Params {
  n: u32,  // elements written: N * count * R (copy_channels), N * dst_c * R (slice_backward)
  r: u32,
  count: u32,  // channels copied
  src_c: u32,
  src_at: u32,
  dst_c: u32,
  dst_at: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;  // (N, src_c, R)
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;  // (N, dst_c, R)

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn copy_channels(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let r = i % p.r;
  let c = (i / p.r) % p.count;
  let n = i / (p.r * p.count);
  dst[(n * p.dst_c + p.dst_at + c) * p.r + r] = src[(n * p.src_c + p.src_at + c) * p.r + r];
}

// Here src is dy (N, count, R) and dst is dx (N, dst_c, R); src_c = count.
@compute @workgroup_size(256)
fn slice_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                  @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let r = i % p.r;
  let c = (i / p.r) % p.dst_c;
  let n = i / (p.r * p.dst_c);
  var v = 0.0;
  if (c >= p.src_at && c < p.src_at + p.count) { v = src[(n * p.count + c - p.src_at) * p.r + r]; }
  dst[i] = v;
}

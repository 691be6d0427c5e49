// ReflectionPad2d with padding (left, right, top, bottom), each smaller than its input side.
//   forward:  y[q, i, j] = x[q, r(i - top, H), r(j - left, W)]   for each plane q = n * C + c,
//             r(k, L) = -k for k < 0, 2(L - 1) - k for k >= L, else k.
//   backward, a gather: dx[q, h, w] = sum of dy[q, i, j] over the rows i and columns j of y that
//             read row h and column w. Along one side of length L padded by (a, b) these are
//               i = h + a                always,
//               i = a - h                when 1 <= h <= a          (mirrored at the start),
//               i = a + 2(L - 1) - h     when L-1-b <= h <= L-2    (mirrored at the end),
//             three distinct indices at most, so each dx sums at most 9 values in a fixed order.
// One thread per element of the output (y forward, dx backward) on a 2D grid of 256-thread
// workgroups: i = (wid.y * nwg.x + wid.x) * 256 + lid.

struct Params {
  n: u32,  // elements of the output: planes * ho * wo forward, planes * h * w backward
  h: u32,
  w: u32,
  ho: u32,  // h + top + bottom
  wo: u32,  // w + left + right
  left: u32,
  right: u32,
  top: u32,
  bottom: u32,
  accum: u32,  // backward: 1 adds dx into the gradient already in y (accumulated in place)
}

@group(0) @binding(0) var<uniform> p: Params;
// Backward reads dy (N, C, Ho, Wo) through x and writes dx (N, C, H, W) through y.
@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;  // (N, C, Ho, Wo)

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

fn reflect(k: i32, l: i32) -> u32 {
  if (k < 0) { return u32(-k); }
  if (k >= l) { return u32(2 * (l - 1) - k); }
  return u32(k);
}

@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let col = i % p.wo;
  let row = (i / p.wo) % p.ho;
  let plane = i / (p.wo * p.ho);
  let r = reflect(i32(row) - i32(p.top), i32(p.h));
  let c = reflect(i32(col) - i32(p.left), i32(p.w));
  y[i] = x[(plane * p.h + r) * p.w + c];
}

// The indices along one side of y that read index h of x, -1 where there is none.
fn sources(h: i32, l: i32, a: i32, b: i32) -> vec3i {
  var s = vec3i(h + a, -1, -1);
  if (h >= 1 && h <= a) { s.y = a - h; }
  if (h >= l - 1 - b && h <= l - 2) { s.z = a + 2 * (l - 1) - h; }
  return s;
}

@compute @workgroup_size(256)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let col = i % p.w;
  let row = (i / p.w) % p.h;
  let plane = i / (p.w * p.h);
  let rows = sources(i32(row), i32(p.h), i32(p.top), i32(p.bottom));
  let cols = sources(i32(col), i32(p.w), i32(p.left), i32(p.right));
  let base = plane * p.ho;
  var acc = 0.0;
  for (var a = 0; a < 3; a++) {
    if (rows[a] < 0) { continue; }
    let at = (base + u32(rows[a])) * p.wo;
    for (var b = 0; b < 3; b++) {
      if (cols[b] >= 0) { acc += x[at + u32(cols[b])]; }
    }
  }
  if (p.accum != 0u) { y[i] = acc + y[i]; } else { y[i] = acc; }
}

// Max pooling of each plane q = n * C + c, PyTorch's MaxPool2d (no dilation, floor mode).
//   window of output (oh, ow): rows oh * sh - ph .. + kh, columns ow * sw - pw .. + kw, clipped
//   to the input (padding never wins: it counts as -inf).
//   forward:  y[q, oh, ow] = max of x over the window; arg[q, oh, ow] = h * W + w of the first
//             maximum in row-major order (a NaN wins, and a later NaN after it,
//             as in PyTorch); arg is int32.
//   backward, a gather: dx[q, h, w] = sum of dy[q, oh, ow] over the windows holding (h, w) whose
//             arg is h * W + w: oh from max(0, floor((h + ph - kh) / sh) + 1) to
//             min(Ho - 1, floor((h + ph) / sh)), ow likewise, in a fixed order.
// One thread per output element (y forward, dx backward) on a 2D grid of 256-thread workgroups:
// i = (wid.y * nwg.x + wid.x) * 256 + lid.

struct Params {
  n: u32,  // elements of the output: planes * ho * wo forward, planes * h * w backward
  h: u32,
  w: u32,
  ho: u32,
  wo: u32,
  kh: u32,
  kw: u32,
  sh: u32,
  sw: u32,
  ph: u32,
  pw: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;  // (N, C, Ho, Wo)
@group(0) @binding(3) var<storage, read_write> arg: array<i32>;  // (N, C, Ho, Wo)
// Backward: the saved arg, dy and dx.
@group(0) @binding(1) var<storage, read> saved_arg: array<i32>;  // (N, C, Ho, Wo)
@group(0) @binding(2) var<storage, read> dy: array<f32>;  // (N, C, Ho, Wo)
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;  // (N, C, H, W)

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let ow = i % p.wo;
  let oh = (i / p.wo) % p.ho;
  let plane = i / (p.wo * p.ho);
  let hs = i32(oh * p.sh) - i32(p.ph);
  let ws = i32(ow * p.sw) - i32(p.pw);
  let he = min(hs + i32(p.kh), i32(p.h));
  let we = min(ws + i32(p.kw), i32(p.w));
  let r0 = max(hs, 0);
  let c0 = max(ws, 0);
  var best = bitcast<f32>(0xff800000u);  // -inf
  var at = r0 * i32(p.w) + c0;
  for (var r = r0; r < he; r++) {
    for (var c = c0; c < we; c++) {
      let v = x[plane * p.h * p.w + u32(r * i32(p.w) + c)];
      if (v > best || v != v) {
        best = v;
        at = r * i32(p.w) + c;
      }
    }
  }
  y[i] = best;
  arg[i] = at;
}

// The outputs along one side whose windows hold input index v, as (first, last + 1).
fn covering(v: u32, k: u32, s: u32, pad: u32, outs: u32) -> vec2u {
  var first = 0u;
  if (v + pad >= k) { first = (v + pad - k) / s + 1u; }
  return vec2u(first, min(outs, (v + pad) / s + 1u));
}

@compute @workgroup_size(256)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let col = i % p.w;
  let row = (i / p.w) % p.h;
  let plane = i / (p.w * p.h);
  let here = i32(row * p.w + col);
  let rows = covering(row, p.kh, p.sh, p.ph, p.ho);
  let cols = covering(col, p.kw, p.sw, p.pw, p.wo);
  var acc = 0.0;
  for (var oh = rows.x; oh < rows.y; oh++) {
    let base = (plane * p.ho + oh) * p.wo;
    for (var ow = cols.x; ow < cols.y; ow++) {
      if (saved_arg[base + ow] == here) { acc += dy[base + ow]; }
    }
  }
  dx[i] = acc;
}

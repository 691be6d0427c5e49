// Average pooling of each plane q = n * C + c, PyTorch's AvgPool2d (no divisor override).
//   window of output (oh, ow): rows hs = oh * sh - ph up to he = min(hs + kh, H + ph), columns
//   likewise; the sum runs over the part inside the input, rows max(hs, 0) .. min(he, H).
//   divisor: (he - hs) * (we - ws) with count_include_pad, else the number of summed inputs.
//   forward:  y[q, oh, ow] = sum of x over the window / divisor(oh, ow)
//   backward, a gather: dx[q, h, w] = sum of dy[q, oh, ow] / divisor(oh, ow) over the windows
//             holding (h, w): oh from max(0, floor((h + ph - kh) / sh) + 1) to
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
  include_pad: u32,  // 1 for count_include_pad
}

@group(0) @binding(0) var<uniform> p: Params;
// Backward reads dy (N, C, Ho, Wo) through x and writes dx (N, C, H, W) through y.
@group(0) @binding(1) var<storage, read> x: array<f32>;  // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;  // (N, C, Ho, Wo)

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

// The window of output (oh, ow) inside the input, as (first row, end row, first col, end col),
// and its divisor.
struct Window {
  bounds: vec4i,
  divisor: f32,
}

fn window(oh: u32, ow: u32) -> Window {
  let h = i32(p.h);
  let w = i32(p.w);
  let hs = i32(oh * p.sh) - i32(p.ph);
  let ws = i32(ow * p.sw) - i32(p.pw);
  let he = min(hs + i32(p.kh), h + i32(p.ph));
  let we = min(ws + i32(p.kw), w + i32(p.pw));
  let b = vec4i(max(hs, 0), min(he, h), max(ws, 0), min(we, w));
  var count = (b.y - b.x) * (b.w - b.z);
  if (p.include_pad == 1u) { count = (he - hs) * (we - ws); }
  return Window(b, f32(count));
}

@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let ow = i % p.wo;
  let oh = (i / p.wo) % p.ho;
  let plane = i / (p.wo * p.ho);
  let win = window(oh, ow);
  var acc = 0.0;
  for (var r = win.bounds.x; r < win.bounds.y; r++) {
    let row = (plane * p.h + u32(r)) * p.w;
    for (var c = win.bounds.z; c < win.bounds.w; c++) { acc += x[row + u32(c)]; }
  }
  y[i] = acc / win.divisor;
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
  let rows = covering(row, p.kh, p.sh, p.ph, p.ho);
  let cols = covering(col, p.kw, p.sw, p.pw, p.wo);
  var acc = 0.0;
  for (var oh = rows.x; oh < rows.y; oh++) {
    let base = (plane * p.ho + oh) * p.wo;
    for (var ow = cols.x; ow < cols.y; ow++) { acc += x[base + ow] / window(oh, ow).divisor; }
  }
  y[i] = acc;
}

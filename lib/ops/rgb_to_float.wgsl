// Interleaved RGB bytes (N, H, W, 3), packed four to a u32 (little endian), to float planes
// (N, 3, H, W) through a 256-entry table: y[n, c, h, w] = table[bytes[((n * H + h) * W + w) * 3 + c]].
// The table holds torchvision's ToTensor + Normalize(0.5, 0.5) values, (b / 255 - 0.5) / 0.5,
// computed exactly in float32 on the CPU, so the result does not depend on the GPU's division.
// One thread per output element on a 2D grid of 256-thread workgroups.

struct Params {
  n: u32,  // output elements N * 3 * H * W
  h: u32,
  w: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> words: array<u32>;  // (ceil(N * H * W * 3 / 4))
@group(0) @binding(2) var<storage, read> table: array<f32>;  // (256)
@group(0) @binding(3) var<storage, read_write> y: array<f32>;  // (N, 3, H, W)

@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= p.n) { return; }
  let hw = p.h * p.w;
  let s = i % hw;
  let c = (i / hw) % 3u;
  let b = i / (hw * 3u);
  let at = (b * hw + s) * 3u + c;
  let byte = (words[at / 4u] >> ((at % 4u) * 8u)) & 255u;
  y[i] = table[byte];
}

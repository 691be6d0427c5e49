// One fused Adam step (PyTorch's single-tensor Adam, no weight decay), per element:
//   m = b1 * m + (1 - b1) * g
//   v = b2 * v + (1 - b2) * g * g
//   w = w - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
// with bc1 = 1 - b1^t and bc2 = 1 - b2^t computed on the CPU in float64.

struct Params {
  n: u32,
  lr: f32,
  b1: f32,
  b2: f32,
  eps: f32,
  step_size: f32,  // lr / bc1
  bc2_sqrt: f32,  // sqrt(bc2)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;  // (n) gradient
@group(0) @binding(2) var<storage, read_write> w: array<f32>;  // (n) parameter
@group(0) @binding(3) var<storage, read_write> m: array<f32>;  // (n) first moment
@group(0) @binding(4) var<storage, read_write> v: array<f32>;  // (n) second moment

@compute @workgroup_size(256)
fn step(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= p.n) { return; }
  let gi = g[i];
  let mi = p.b1 * m[i] + (1.0 - p.b1) * gi;
  let vi = p.b2 * v[i] + (1.0 - p.b2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  w[i] = w[i] - p.step_size * mi / (sqrt(vi) / p.bc2_sqrt + p.eps);
}

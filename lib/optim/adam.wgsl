// One fused Adam step (PyTorch's single-tensor Adam, no weight decay) over up to K parameters at
// once, per element:
//   m = b1 * m + (1 - b1) * g
//   v = b2 * v + (1 - b2) * g * g
//   w = w - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
// with bc1 = 1 - b1^t and bc2 = 1 - b2^t computed on the CPU in float64. The thread's index runs
// over the parameters' elements one parameter after another; adam.ts writes, for k < K, the
// bindings g{k}, w{k}, m{k}, v{k} and one update block a parameter at the two marker lines.

struct Params {
  b1: f32,
  b2: f32,
  eps: f32,
  step_size: f32,  // lr / bc1
  bc2_sqrt: f32,  // sqrt(bc2)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  n: array<vec4u, 4>,  // elements of parameter k at n[k / 4][k % 4]
}

@group(0) @binding(0) var<uniform> p: Params;
// @bindings

/** The new (m, v, w) of one element from its gradient and old values. */
fn adam(gi: f32, mi0: f32, vi0: f32, wi: f32) -> vec3f {
  let mi = p.b1 * mi0 + (1.0 - p.b1) * gi;
  let vi = p.b2 * vi0 + (1.0 - p.b2) * gi * gi;
  return vec3f(mi, vi, wi - p.step_size * mi / (sqrt(vi) / p.bc2_sqrt + p.eps));
}

@compute @workgroup_size(256)
fn step(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  var i = (wid.y * nwg.x + wid.x) * 256u + lid;
  // @update
}

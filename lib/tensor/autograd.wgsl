// Helpers of the autograd engine.
//   fill:       y[i] = value                      y: (n)
//   accumulate: into[i] += x[i]                   x, into: (n)
// Grids are 2D: i = (wid.y * nwg.x + wid.x) * 256 + lid.x.

struct Params {
  n: u32,
  value: u32, // f32 bits
}

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn fill(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i < p.n) { y[i] = bitcast<f32>(p.value); }
}

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> into: array<f32>;

@compute @workgroup_size(256)
fn accumulate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i < p.n) { into[i] += x[i]; }
}

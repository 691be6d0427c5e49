// Elementwise ops on flat float32 arrays of n elements, forward and backward side by side.
//   relu:       y = max(x, 0)                 dx = dy * (x > 0)
//   leaky_relu: y = x > 0 ? x : a * x         dx = dy * (x > 0 ? 1 : a)
//   tanh:       y = tanh(x)                   dx = dy * (1 - y^2)
//   sigmoid:    y = 1 / (1 + exp(-x))         dx = dy * y * (1 - y)
//   scale:      y = a * x                     dx = a * dy   (the same kernel)
//   add:        y = x + z                     dx = dy, dz = dy
//   sub:        y = x - z                     dx = dy, dz = -dy
//   mul:        y = x * z                     dx = dy * z, dz = dy * x (mul_backward)
// Grids are 2D: i = (wid.y * nwg.x + wid.x) * 256 + lid.

struct Params {
  n: u32,
  a: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> x: array<f32>;  // (n)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;  // (n)
// Binary ops and backward passes take a second input and write the third binding.
@group(0) @binding(2) var<storage, read> z: array<f32>;  // (n): z, or dy in backward passes
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // (n)

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn relu(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { y[i] = max(x[i], 0.0); }
}

@compute @workgroup_size(256)
fn relu_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { out[i] = select(0.0, z[i], x[i] > 0.0); }
}

@compute @workgroup_size(256)
fn leaky_relu(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { let v = x[i]; y[i] = select(p.a * v, v, v > 0.0); }
}

@compute @workgroup_size(256)
fn leaky_relu_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                       @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { out[i] = select(p.a, 1.0, x[i] > 0.0) * z[i]; }
}

@compute @workgroup_size(256)
fn tanh_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  // Clamped: some drivers' tanh returns NaN for large arguments; tanh(15) is 1 in float32.
  if (i < p.n) { y[i] = tanh(clamp(x[i], -15.0, 15.0)); }
}

@compute @workgroup_size(256)
fn tanh_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);  // x holds y here
  if (i < p.n) { let t = x[i]; out[i] = (1.0 - t * t) * z[i]; }
}

@compute @workgroup_size(256)
fn sigmoid(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { y[i] = 1.0 / (1.0 + exp(-clamp(x[i], -88.0, 88.0))); }
}

@compute @workgroup_size(256)
fn sigmoid_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);  // x holds y here
  if (i < p.n) { let s = x[i]; out[i] = s * (1.0 - s) * z[i]; }
}

@compute @workgroup_size(256)
fn scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { y[i] = p.a * x[i]; }
}

@compute @workgroup_size(256)
fn add(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
       @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { out[i] = x[i] + p.a * z[i]; }  // a = 1 for add, -1 for sub
}

@compute @workgroup_size(256)
fn mul(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
       @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < p.n) { out[i] = x[i] * z[i]; }
}

// What the fused passes share: the reflection a conv's gather reads its padding with, and the
// activation a conv's or a norm's store applies (lib/ops/conv2d.wgsl, conv_tiled.wgsl,
// instance_norm2d.wgsl).

// Index i of a side of n mirrored into 0..n - 1 (for -n < i < 2n - 1), as ReflectionPad2d.
fn reflect(i: i32, n: u32) -> i32 {
  let m = abs(i);
  return select(m, 2 * i32(n) - 2 - m, m >= i32(n));
}

// v (act 0), its ReLU (act 1) or its LeakyReLU of negative slope `slope` (act 2), as
// elementwise.wgsl computes them.
fn activate(v: vec4f, act: u32, slope: f32) -> vec4f {
  if (act == 0u) { return v; }
  if (act == 1u) { return max(v, vec4f(0.0)); }
  return select(slope * v, v, v > vec4f(0.0));
}

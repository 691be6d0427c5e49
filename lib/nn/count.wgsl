// Adds a step to an int32 counter in place (BatchNorm2d's num_batches_tracked).
//   count: count[0] += step        n: (1)

struct Params {
  step: i32,
}

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read_write> n: array<i32>;

@compute @workgroup_size(1)
fn count() {
  n[0] += p.step;
}

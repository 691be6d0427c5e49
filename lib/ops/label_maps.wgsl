// Label and instance maps turned into network inputs. Maps are int32 (N, 1, H, W).
//   one_hot:  y[n, c, h, w] = 1 if labels[n, 0, h, w] == c else 0        y: (N, C, H, W)
//   boundary: y[n, 0, h, w] = 1 if any 4-neighbour of (h, w) has another id, else 0
//             (pix2pixHD's get_edges)                                     y: (N, 1, H, W)

struct Params {
  n: u32,  // output elements
  c: u32,  // classes (one_hot)
  h: u32,
  w: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;  // (N, 1, H, W)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn one_hot(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let hw = p.h * p.w;
  let s = i % hw;
  let c = (i / hw) % p.c;
  let b = i / (hw * p.c);
  y[i] = select(0.0, 1.0, ids[b * hw + s] == i32(c));
}

@compute @workgroup_size(256)
fn boundary(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= p.n) { return; }
  let x = i % p.w;
  let r = (i / p.w) % p.h;
  let v = ids[i];
  var edge = false;
  if (x > 0u) { edge = edge || ids[i - 1u] != v; }
  if (x + 1u < p.w) { edge = edge || ids[i + 1u] != v; }
  if (r > 0u) { edge = edge || ids[i - p.w] != v; }
  if (r + 1u < p.h) { edge = edge || ids[i + p.w] != v; }
  y[i] = select(0.0, 1.0, edge);
}

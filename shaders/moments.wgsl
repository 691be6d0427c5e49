// Numerically stable moments of a chunk of a module-scope `x: array<f32>`, shared by the norms.
// Each of 256 threads sums its elements (every 256th from `first`, below `end`) relative to its
// own first element (the shifted-data algorithm) into (count, mean, M2); the triples merge with
// Chan's formula, 16 threads merging 16 triples each, then one thread merging those 16, in a
// fixed order. Values are taken relative to `shift` (the plane's or channel's first element), so
// a large common offset cancels exactly. The result is valid in thread 0.

var<workgroup> moments: array<vec3f, 256>;  // (count, mean, M2) per thread

// Chan et al.'s merge of two (count, mean, M2) triples.
fn merge(a: vec3f, b: vec3f) -> vec3f {
  if (b.x == 0.0) { return a; }
  if (a.x == 0.0) { return b; }
  let n = a.x + b.x;
  let d = b.y - a.y;
  let f = b.x / n;
  return vec3f(n, a.y + d * f, a.z + b.z + d * d * a.x * f);
}

// (count, mean - shift, M2) of x[first + lid], x[first + lid + 256], ... below end.
fn chunk_moments(lid: u32, first: u32, end: u32, shift: f32) -> vec3f {
  var m = vec3f(0.0);
  if (first + lid < end) {
    let k = x[first + lid] - shift;  // this thread's own shift
    var s = vec2f(0.0);
    for (var i = first + lid; i < end; i += 256u) {
      let d = (x[i] - shift) - k;
      s += vec2f(d, d * d);
      m.x += 1.0;
    }
    m.y = k + s.x / m.x;
    m.z = max(s.y - s.x * s.x / m.x, 0.0);
  }
  moments[lid] = m;
  workgroupBarrier();
  if (lid < 16u) {
    var t = moments[lid * 16u];
    for (var j = 1u; j < 16u; j++) { t = merge(t, moments[lid * 16u + j]); }
    moments[lid * 16u] = t;
  }
  workgroupBarrier();
  var t = moments[0];
  if (lid == 0u) {
    for (var j = 1u; j < 16u; j++) { t = merge(t, moments[j * 16u]); }
  }
  return t;
}

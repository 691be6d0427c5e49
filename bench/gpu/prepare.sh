#!/usr/bin/env bash
# Fills the git-ignored .gpu/ for bench/gpu/run.sh on an x86-64 Linux machine with an NVIDIA GPU
# and no network: Deno, the Vulkan loader and the npm cache (../shared/gpu/prepare.sh), the
# GL vendor-neutral dispatch libraries NVIDIA's Vulkan driver needs (without libglvnd the loader
# finds the driver but cannot create an instance), and TF.js for the conv comparison. The npm
# cache is trimmed to what the bench loads, so that the project and .gpu/ travel in 64 MiB.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
shared=${PIX2PIXHD_SHARED_GPU:-$root/../shared/gpu}
if [ ! -f "$shared/prepare.sh" ]; then
  echo "bench/gpu/prepare.sh: $shared/prepare.sh not found (set PIX2PIXHD_SHARED_GPU)" >&2
  exit 1
fi
bash "$shared/prepare.sh"
(cd .gpu && apt-get download -qq libglvnd0 libegl1 libgl1 libglx0 libgles2 libopengl0 2>/dev/null)
export DENO_DIR="$root/.gpu/deno_dir"
deno cache cli/bench.ts cli/bench/gpu.ts npm:@tensorflow/tfjs-core@4.22.0 \
  npm:@tensorflow/tfjs-backend-webgpu@4.22.0 >/dev/null 2>&1
npm="$DENO_DIR/npm/registry.npmjs.org"
for d in "$npm"/@tensorflow/*/*/; do
  find "$d" -mindepth 1 -maxdepth 1 ! -name package.json ! -name dist ! -name '.*' -exec rm -rf {} +
  find "$d/dist" -mindepth 1 ! -name '*.node.js' -exec rm -rf {} +
done
# Packages only the tests use stay as their package.json, which Deno's lockfile check wants.
for d in "$npm"/playwright-core/*/; do
  find "$d" -mindepth 1 -maxdepth 1 ! -name package.json ! -name '.*' -exec rm -rf {} +
done
total=$( (git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- | tail -1 | cut -f1) 2>/dev/null)
gpu=$(du -sb .gpu | cut -f1)
echo "working tree $((total / 1048576)) MiB + .gpu $((gpu / 1048576)) MiB (the limit is 64 MiB)"

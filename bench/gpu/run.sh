#!/usr/bin/env bash
# The GPU bench in one command: pix2pixhd against PyTorch on this machine, in one run
# (cli/bench/gpu.ts says what it measures). On a GPU machine without network, first run
#   bash bench/gpu/prepare.sh
# on a machine with network, take the project there with its .gpu/ folder, then
#   bash bench/gpu/run.sh [--out FILE]      # or PIX2PIXHD_BENCH_OUT=FILE
# and commit the results file it writes under bench/results/, then `deno task bench:results`.
# `bash bench/gpu/run.sh --smoke` runs every row at tiny sizes, PyTorch on the CPU.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
if [ -f .gpu/run.sh ] && command -v nvidia-smi >/dev/null 2>&1; then
  # .gpu/run.sh puts Deno and the Vulkan loaders in place and points Vulkan at NVIDIA's driver.
  exec bash .gpu/run.sh deno run -A cli/bench/gpu.ts "$@"
fi
exec deno run -A cli/bench/gpu.ts "$@"

#!/usr/bin/env bash
# Makes models/street_small again, as it was made: trains on the sample scenes with this project
# (checkpoints/street_small), encodes the instance features and clusters them, measures the
# result against the untrained G, and copies the files the editor and cli/test.ts need here.
#   bash models/street_small/reproduce.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
EPOCHS=80
deno run -A cli/train.ts --name street_small --dataroot fixtures/data/city --resize_or_crop none \
  --netG local --ngf 8 --n_downsample_global 3 --n_blocks_global 4 --n_blocks_local 2 \
  --ndf 16 --num_D 2 --instance_feat --no_vgg_loss --lr 0.0005 \
  --niter "$EPOCHS" --niter_decay 0 --niter_fix_global 5 \
  --save_epoch_freq 10 --print_freq 16 --display_freq 160 --nThreads 1
deno run -A cli/encode.ts --name street_small --dataroot fixtures/data/city --phase train \
  --n_clusters 4
deno run -A cli/evaluate.ts --name street_small --dataroot fixtures/data/city
for f in latest_net_G.pth latest_net_E.pth opt.json opt.txt features_clustered_004.json; do
  cp "checkpoints/street_small/$f" models/street_small/
done

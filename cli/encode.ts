/**
 * Encodes the training set with a trained feature encoder and clusters the instance features per
 * class (pix2pixHD's `encode_features.py`), with the original's flags (`--help` lists them):
 *
 * ```sh
 * deno run -A cli/encode.ts --name label2city_512p_feat --instance_feat
 * ```
 *
 * Writes `checkpoints/<name>/features.json` and `features_clustered_<n_clusters>.json`, which
 * `cli/test.ts --instance_feat` and `cli/edit.ts` read. `--precompute_feature_maps` also writes
 * E's feature maps to `<dataroot>/<phase>_feat/` for training with `--load_features`.
 *
 * @module
 */
import { encode } from "../lib/app/encode.ts";
import { helpText, parseOptions } from "../lib/app/options.ts";
import { runCli } from "./run_cli.ts";

/** Runs the command; resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText("encode"));
    return 0;
  }
  const result = await encode(parseOptions("encode", args));
  if (result.featureMaps.length) {
    console.log(`wrote ${result.featureMaps.length} feature maps`);
  }
  return 0;
}

if (import.meta.main) await runCli(main);

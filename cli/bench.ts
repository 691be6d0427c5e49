/**
 * `deno task bench`: prints one JSON line per measurement, each GPU line naming the adapter it
 * ran on. `deno task bench conv adam` runs only the named groups.
 *
 * @module
 */

import { initGpu } from "../lib/gpu/kernel.ts";
import { benchData } from "../lib/data/synthetic/bench.ts";
import { benchAdam } from "./bench/adam.ts";
import { benchConv } from "./bench/conv.ts";
import { benchEdit } from "./bench/edit.ts";
import { benchFeatures } from "./bench/features.ts";
import { benchNorm } from "./bench/norm.ts";
import { benchTrain } from "./bench/train.ts";

const groups: Record<string, { gpu: boolean; run: () => Promise<unknown> }> = {
  features: { gpu: false, run: benchFeatures },
  conv: { gpu: true, run: benchConv },
  norm: { gpu: true, run: benchNorm },
  adam: { gpu: true, run: benchAdam },
  data: { gpu: false, run: () => benchData() },
  train: { gpu: true, run: () => benchTrain() },
  edit: { gpu: true, run: benchEdit },
};

if (import.meta.main) {
  const wanted = Deno.args.length > 0 ? Deno.args : Object.keys(groups);
  for (const name of wanted) {
    if (!(name in groups)) {
      console.error(
        `Unknown benchmark group '${name}': expected one of ${Object.keys(groups).join(", ")}`,
      );
      Deno.exit(2);
    }
  }
  if (wanted.some((name) => groups[name].gpu)) {
    console.error(`adapter: ${(await initGpu()).gpu.adapter}`);
  }
  for (const name of wanted) await groups[name].run();
}

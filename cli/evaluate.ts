/**
 * Measures a trained generator against the real photos of its test split, beside the same G with
 * its initial weights, with the flags of `cli/test.ts` (`--help` lists them):
 *
 * ```sh
 * deno task evaluate --name demo --dataroot fixtures/data/city
 * ```
 *
 * Prints, for the untrained G and the run's, PSNR and SSIM of the synthesized photos against the
 * real ones and the per-class mean colour error (for each label class, the distance between its
 * mean colour in the two photos, over the split), as a Markdown table, with one JSON line each.
 * Each G's images, page and `metrics.json` go where `cli/test.ts` writes them
 * (`results/<name>/<phase>_untrained` for the untrained one).
 *
 * @module
 */
import { helpText, parseOptions } from "../lib/app/options.ts";
import { test, type TestMetrics } from "../lib/app/test.ts";
import { runCli } from "./run_cli.ts";

export type { TestMetrics };

/** One row of the table. */
export interface EvaluationRow {
  /** Which G: `untrained (--seed S)` or `<name>, epoch <which_epoch>`. */
  generator: string;
  /** Its measures against the real photos. */
  metrics: TestMetrics;
}

/** The Markdown table of the rows. */
export function evaluationTable(rows: readonly EvaluationRow[]): string {
  return [
    "| generator | images | PSNR (dB) | SSIM | per-class colour error |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map(({ generator, metrics: m }) =>
      `| ${generator} | ${m.images} | ${m.psnr.toFixed(2)} | ${m.ssim.toFixed(4)} | ${
        m.meanClassColourError.toFixed(1)
      } |`
    ),
  ].join("\n");
}

/** Runs the command; resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText("test", {
      program: "evaluate",
      does:
        "Measures checkpoints/<name>/<which_epoch>_net_G.pth against the real photos of <dataroot>/<phase>_img (PSNR, SSIM, per-class colour error), beside the same G untrained.",
    }));
    return 0;
  }
  const rows: EvaluationRow[] = [];
  for (const untrained of [true, false]) {
    const result = await test(parseOptions("test", args), { untrained });
    if (!result.metrics) {
      throw new Deno.errors.NotFound(
        `Cannot evaluate as the ${result.options.phase} split of ${result.options.dataroot} has no photos to compare with (expected ${result.options.phase}_img beside ${result.options.phase}_label)`,
      );
    }
    const o = result.options;
    const generator = untrained
      ? `untrained (--seed ${o.seed})`
      : `${o.name}, epoch ${o.which_epoch}`;
    rows.push({ generator, metrics: result.metrics });
    const { file, classColourError: _, ...summary } = result.metrics;
    console.log(JSON.stringify({ name: "evaluate", generator, ...summary, metrics: file }));
  }
  console.log(`\n${evaluationTable(rows)}`);
  return 0;
}

if (import.meta.main) await runCli(main);

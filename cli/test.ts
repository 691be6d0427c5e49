/**
 * Synthesizes images with a trained generator, with the original's flags (`--help` lists them):
 *
 * ```sh
 * deno run -A cli/test.ts --name label2city_1024p --netG local --ngf 32 --resize_or_crop none
 * ```
 *
 * Writes `results/<name>/<phase>_<which_epoch>/index.html` and its `images/` (PNG; `--format jpg`
 * for the original's JPEG). A run's saved `opt.json` supplies the architecture.
 *
 * @module
 */
import { helpText, parseOptions } from "../lib/app/options.ts";
import { test } from "../lib/app/test.ts";
import { runCli } from "./run_cli.ts";

/** Runs the command; resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText("test"));
    return 0;
  }
  const result = await test(parseOptions("test", args));
  console.log(
    `wrote ${result.images.length} images (${
      result.secondsPerImage.toFixed(2)
    } s each) to ${result.dir}`,
  );
  console.log(`results page: ${result.page}`);
  return 0;
}

if (import.meta.main) await runCli(main);

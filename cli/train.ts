/**
 * Trains pix2pixHD with the original's flags (`--help` lists them):
 *
 * ```sh
 * deno run -A cli/train.ts --name label2city_512p --dataroot ./datasets/cityscapes/
 * ```
 *
 * With no flags it is the demo: a small model trained on fixtures/data/city for about half a minute
 * on a CPU, then its test images. Ctrl-C saves `latest` and the training state and exits;
 * `--continue_train` resumes exactly where it stopped.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { helpText, parseOptions } from "../lib/app/options.ts";
import { test } from "../lib/app/test.ts";
import { train } from "../lib/app/train.ts";
import { convTuner } from "../lib/ops/conv_tuner.ts";
import { runCli } from "./run_cli.ts";

const FIXTURES = new URL("../fixtures/data/city", import.meta.url);

/**
 * The demo's dataset: the 16 fixture scenes, which come with a checkout of the repository
 * (the package imported from a URL has no fixtures).
 */
function fixtures(): string {
  if (FIXTURES.protocol !== "file:") {
    throw new TypeError(
      `Cannot train the demo as its dataset comes with a checkout of the repository, not with the package: current value is ${FIXTURES.href} (give --dataroot and the other flags, see --help)`,
    );
  }
  return fileURLToPath(FIXTURES);
}

/**
 * The demo's flags, but the dataset: a small coarse-to-fine model on 8 of the scenes at 256×128
 * (the size of the model in models/, so that their measures compare), three epochs of which the
 * first trains only the local enhancer, short enough for a 2-core machine without a GPU.
 */
const DEMO_FLAGS: readonly string[] = [
  ...["--name", "demo", "--resize_or_crop", "none", "--max_dataset_size", "8"],
  ...["--netG", "local", "--ngf", "8", "--n_downsample_global", "3", "--n_blocks_global", "3"],
  ...["--n_blocks_local", "1", "--ndf", "16", "--num_D", "2", "--no_vgg_loss"],
  ...["--niter", "2", "--niter_decay", "1", "--niter_fix_global", "1", "--lr", "0.001"],
  ...["--save_epoch_freq", "3", "--print_freq", "8", "--display_freq", "8", "--nThreads", "1"],
];

/** Runs the command; resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText("train"));
    return 0;
  }
  const demo = args.length === 0;
  if (demo) {
    console.log(
      "No flags given: training the demo model on fixtures/data/city (--help lists the flags).",
    );
    // Timing conv kernels would take a first demo longer than its training; its convs are small.
    if (!Deno.env.get("PIX2PIXHD_CONV_TUNE")) {
      convTuner.mode = "off";
      console.log("The demo does not tune conv kernels (PIX2PIXHD_CONV_TUNE=on does).");
    }
  }
  const parsed = parseOptions("train", demo ? [...DEMO_FLAGS, "--dataroot", fixtures()] : args);
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) Deno.exit(130);
    console.error("\nCtrl-C: saving latest after this step (press again to quit without saving)");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  const t0 = performance.now();
  try {
    const result = await train(parsed, { signal: controller.signal });
    // Under mpirun, rank 0 alone reports.
    if (result.rank) return result.interrupted ? 130 : 0;
    if (result.sync) {
      const s = result.sync;
      console.log(
        `gradient averaging: ${(s.bytesPerStep / 2 ** 20).toFixed(2)} MiB a rank a step, ${
          (1000 * s.syncSeconds).toFixed(1)
        } ms a step (${(1000 * s.reduceSeconds).toFixed(1)} ms in MPI_Allreduce), ${
          (100 * s.syncSeconds / result.secondsPerStep).toFixed(1)
        }% of a step`,
      );
    }
    console.log(
      `trained ${result.steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s (${
        result.secondsPerStep.toFixed(2)
      } s per step); checkpoints in ${result.dir}`,
    );
    if (result.page) console.log(`results page: ${result.page}`);
    if (result.interrupted) return 130;
    if (demo) {
      const o = parsed.options;
      const tested = await test(
        parseOptions("test", [
          "--name",
          String(o.name),
          "--checkpoints_dir",
          String(o.checkpoints_dir),
          "--dataroot",
          String(o.dataroot),
        ]),
      );
      console.log(`test images: ${join(tested.dir, "images")}`);
      console.log(`test page: ${tested.page}`);
      console.log(`demo done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

if (import.meta.main) await runCli(main);

/**
 * The results page of a training run, `web/index.html` as pix2pixHD's visualizer keeps it: the
 * loss plot, then the input label, synthesized image and real image of each displayed epoch.
 *
 * @module
 */
import { join } from "node:path";
import type { Batch } from "../data/batch.ts";
import { encodeImage, imageBytes, labelImage } from "../data/visuals.ts";
import { writeOutputFile } from "../io/output_file.ts";
import { LOSS_NAMES, type Trainer } from "../pix2pixhd/trainer.ts";
import { writeTextAtomic } from "./checkpoints.ts";
import { imagePage, lossPlot, type LossPoint, type PageRow } from "./html.ts";
import type { Options } from "./options.ts";
import type { LossRecord } from "./train_log.ts";

/** What {@linkcode displayResults} shows. */
export interface Display {
  /** The run's options (`--label_nc`, `--name`, `--display_winsize`). */
  o: Options;
  /** The trainer whose G synthesizes the image. */
  trainer: Trainer;
  /** The batch whose first sample is shown. */
  batch: Batch;
  /** The epoch it is shown for. */
  epoch: number;
  /** The losses logged so far, for the plot. */
  records: readonly LossRecord[];
}

/**
 * Writes the first sample of a batch into `<web>/images` as epoch `epoch`'s input label, the image
 * G synthesizes from it and the real image, then rewrites the page.
 */
export async function displayResults(
  web: string,
  { o, trainer, batch, epoch, records }: Display,
): Promise<void> {
  await Deno.mkdir(join(web, "images"), { recursive: true });
  const fake = trainer.synthesize(batch);
  const planar = await fake.floats();
  fake.dispose();
  const { width: w, height: h } = batch;
  const files: [string, Uint8Array][] = [
    ["input_label", labelImage(batch, o.label_nc)],
    ["synthesized_image", imageBytes(planar, w, h)],
    ["real_image", batch.image!.subarray(0, w * h * 3)],
  ];
  for (const [kind, rgb] of files) {
    const file = join(web, "images", `epoch${String(epoch).padStart(3, "0")}_${kind}.png`);
    const png = encodeImage(rgb, w, h, "png");
    await writeOutputFile(file, (write) => write(png));
  }
  await writePage(web, o, records);
}

/** Rewrites `web/index.html`: the loss plot, then each epoch's images, newest first. */
async function writePage(web: string, o: Options, records: readonly LossRecord[]): Promise<void> {
  const epochs: number[] = [];
  for await (const entry of Deno.readDir(join(web, "images"))) {
    const m = /^epoch(\d+)_synthesized_image\.png$/.exec(entry.name);
    if (m) epochs.push(Number(m[1]));
  }
  epochs.sort((a, b) => b - a);
  const rows: PageRow[] = epochs.map((e) => {
    const tag = `epoch${String(e).padStart(3, "0")}`;
    return {
      heading: `epoch ${e}`,
      images: ["input_label", "synthesized_image", "real_image"].map((kind) => ({
        caption: kind,
        src: `images/${tag}_${kind}.png`,
      })),
    };
  });
  const points = records as unknown as LossPoint[];
  const plot = points.length > 0 ? `<h3>losses</h3>\n${lossPlot(points, LOSS_NAMES)}` : "";
  await writeTextAtomic(
    join(web, "index.html"),
    imagePage({
      title: `Experiment name = ${o.name}`,
      rows,
      width: o.display_winsize,
      top: plot,
      refresh: 30,
    }),
  );
}

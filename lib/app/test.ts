/**
 * pix2pixHD's `test.py`: runs a trained G over `<dataroot>/<phase>_label` and writes
 * `results/<name>/<phase>_<which_epoch>/index.html` with each input label (in colour) and
 * synthesized image, without recording any tape.
 *
 * @module
 */
import { basename, extname, join } from "node:path";
import { listDataset } from "../data/layout.ts";
import { DataLoader } from "../data/loader.ts";
import { initGpu } from "../gpu/kernel.ts";
import { batchInputs } from "../pix2pixhd/input.ts";
import { noGrad } from "../tensor/autograd.ts";
import { tidy } from "../tensor/tensor.ts";
import { loadNetwork, networkPath, writeTextAtomic } from "./checkpoints.ts";
import { imagePage, type PageRow } from "./html.ts";
import { buildG, transformOptions, usesFeatures, withRunArchitecture } from "./model.ts";
import type { Options, ParsedOptions } from "./options.ts";
import { encodeImage, imageBytes, type ImageFormat, labelImage } from "./visuals.ts";

/** Options of {@linkcode test} beyond the flags. */
export interface TestHooks {
  /** Where messages go (default `console.log`). */
  print?: (line: string) => void;
}

/** What {@linkcode test} wrote. */
export interface TestResult {
  /** `results/<name>/<phase>_<which_epoch>`. */
  dir: string;
  /** Its `index.html`. */
  page: string;
  /** The images written, by sample name. */
  images: { name: string; label: string; synthesized: string }[];
  /** The options used, with the saved architecture applied. */
  options: Options;
  /** Mean seconds per image (G's forward pass and the read-back). */
  secondsPerImage: number;
}

/**
 * Synthesizes the test images of parsed `cli/test.ts` options. The architecture comes from the
 * run's `opt.json` when it has one; flags contradicting it are an error.
 */
export async function test(parsed: ParsedOptions, hooks: TestHooks = {}): Promise<TestResult> {
  const print = hooks.print ?? ((line: string) => console.log(line));
  const ckpt = join(parsed.options.checkpoints_dir as string, parsed.options.name as string);
  const { options: o, file } = await withRunArchitecture(parsed.options, parsed.given, ckpt);
  if (file) print(`architecture from ${file}`);
  if (usesFeatures(o)) {
    throw new TypeError(
      "Cannot synthesize with --instance_feat or --label_feat yet as choosing feature clusters is not available: current value is set",
    );
  }
  for (const note of parsed.notes) print(`note: ${note}`);
  const which = o.which_epoch as string;
  const gPath = networkPath(ckpt, which, "G");
  try {
    await Deno.stat(gPath);
  } catch {
    throw new Deno.errors.NotFound(
      `Cannot test as the generator checkpoint ${gPath} does not exist (check --checkpoints_dir, --name and --which_epoch)`,
    );
  }

  const rt = await initGpu();
  print(`adapter: ${rt.gpu.adapter}`);
  const netG = buildG(o);
  const labelNc = o.label_nc as number;
  const noInstance = o.no_instance as boolean;
  try {
    await loadNetwork(netG, gPath, { strict: true });
    print(`loaded ${gPath}`);
    const entries = await listDataset(o.dataroot as string, {
      phase: o.phase as string,
      labelNc,
      instance: !noInstance,
      image: false,
    });
    const loader = new DataLoader(entries, {
      labelNc,
      transform: transformOptions(o, false),
      batchSize: 1,
      serialBatches: true,
      maxDatasetSize: o.how_many as number,
      nThreads: 1,
      seed: o.seed as number,
    });
    const dir = join(o.results_dir as string, o.name as string, `${o.phase}_${which}`);
    await Deno.mkdir(join(dir, "images"), { recursive: true });
    const format = o.format as ImageFormat;
    const images: TestResult["images"] = [];
    const rows: PageRow[] = [];
    let busy = 0;
    try {
      for await (const batch of loader.epoch(0)) {
        const t0 = performance.now();
        const fake = noGrad(() =>
          tidy(() => netG.forward(batchInputs(batch, { labelNc, noInstance }).label))
        );
        const planar = await fake.floats();
        fake.dispose();
        busy += (performance.now() - t0) / 1000;
        const { width: w, height: h } = batch;
        const name = basename(batch.entries[0].label, extname(batch.entries[0].label));
        print(`process image... ${batch.entries[0].label}`);
        const label = `images/${name}_input_label.${format}`;
        const synthesized = `images/${name}_synthesized_image.${format}`;
        await Deno.writeFile(
          join(dir, label),
          encodeImage(labelImage(batch, labelNc), w, h, format),
        );
        await Deno.writeFile(
          join(dir, synthesized),
          encodeImage(imageBytes(planar, w, h), w, h, format),
        );
        images.push({ name, label: join(dir, label), synthesized: join(dir, synthesized) });
        rows.push({
          heading: name,
          images: [
            { caption: "input_label", src: label },
            { caption: "synthesized_image", src: synthesized },
          ],
        });
      }
    } finally {
      loader.close();
    }
    const page = join(dir, "index.html");
    await writeTextAtomic(
      page,
      imagePage({
        title: `Experiment = ${o.name}, Phase = ${o.phase}, Epoch = ${which}`,
        rows,
        width: o.display_winsize as number,
      }),
    );
    return { dir, page, images, options: o, secondsPerImage: busy / (images.length || 1) };
  } finally {
    netG.dispose();
  }
}

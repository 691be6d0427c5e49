/**
 * pix2pixHD's `test.py`: runs a trained G over `<dataroot>/<phase>_label` and writes
 * `results/<name>/<phase>_<which_epoch>/index.html` with each input label (in colour) and
 * synthesized image, without recording any tape.
 *
 * A model with features (`--instance_feat` / `--label_feat`) gets, per instance, the centre of
 * one of its class's clusters (`cli/encode.ts`): drawn with `--seed` (each instance's draw
 * depends only on the seed and its id), or given with `--cluster_choice id:k,...`; classes
 * without clusters get zeros. With `--use_encoded_image`, E encodes the real photo instead.
 *
 * @module
 */
import { basename, extname, join } from "node:path";
import { initGpu } from "../gpu/kernel.ts";
import { chooseClusters, featureMap, parseClusterChoice } from "../features/clusters.ts";
import { batchInputs, generatorInput } from "../pix2pixhd/input.ts";
import { noGrad } from "../tensor/autograd.ts";
import { Tensor, tidy } from "../tensor/tensor.ts";
import { loadNetwork, networkPath, writeTextAtomic } from "./checkpoints.ts";
import { imagePage, type PageRow } from "./html.ts";
import { encodeBatch, featureOptions, poolingIds, readRunClusters } from "./features.ts";
import {
  buildE,
  buildG,
  openSerial,
  rememberedOptions,
  splitHasPhotos,
  usesFeatures,
} from "./model.ts";
import {
  addClassColours,
  classColourError,
  type ClassColours,
  meanClassColourError,
  psnr,
  ssim,
  SSIM_WINDOW,
} from "../data/metrics.ts";
import type { Options, ParsedOptions } from "./options.ts";
import { ProgressLine } from "../io/progress.ts";
import { encodeImage, imageBytes, type ImageFormat, labelImage } from "../data/visuals.ts";
import { adapterLine } from "../gpu/device.ts";

/** Options of {@linkcode test} beyond the flags. */
export interface TestHooks {
  /** Where messages go (default `console.log`). */
  print?: (line: string) => void;
  /**
   * Runs G (and E, with `--use_encoded_image`) with its initial weights from `--seed` instead of
   * a checkpoint (the baseline of `cli/evaluate.ts`), into `<phase>_untrained`.
   */
  untrained?: boolean;
  /** A progress line with the time left on stderr (default: when stderr is a terminal). */
  progress?: boolean;
}

/** How close the synthesized photos came to the real ones (when the split has photos). */
export interface TestMetrics {
  /** Images measured. */
  images: number;
  /** Mean PSNR in dB over the images (identical photos, of infinite PSNR, left out). */
  psnr: number;
  /** Mean SSIM of luma over the images. */
  ssim: number;
  /** Per class over the whole split, the distance between its mean colours in the two photos. */
  classColourError: Record<string, number>;
  /** The mean of `classColourError` over the classes present. */
  meanClassColourError: number;
  /** `metrics.json` beside the page. */
  file: string;
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
  /** The comparison with the real photos, when the split has them. */
  metrics?: TestMetrics;
  /** Mean seconds per image (features, G's forward pass and the read-back). */
  secondsPerImage: number;
  /**
   * With sampled features, `cluster_choices.json`: per image, the cluster of each instance
   * (`--cluster_choice` takes them back).
   */
  clusterChoices?: string;
}

/**
 * Synthesizes the test images of parsed `cli/test.ts` options. The architecture comes from the
 * run's `opt.json` when it has one; flags contradicting it are an error.
 */
export async function test(parsed: ParsedOptions, hooks: TestHooks = {}): Promise<TestResult> {
  const print = hooks.print ?? ((line: string) => console.log(line));
  const { options: o, dir: ckpt } = await rememberedOptions(parsed, print);
  const features = usesFeatures(o);
  const encoded = features && o.use_encoded_image;
  if (o.use_encoded_image && !features) {
    throw new TypeError(
      "Cannot use --use_encoded_image as the model takes no features: current value is neither --instance_feat nor --label_feat",
    );
  }
  if (encoded && o.load_features) {
    throw new TypeError(
      "Cannot use --use_encoded_image with --load_features as such a run has no encoder: current value is both set",
    );
  }
  if (o.cluster_choice && (!features || encoded)) {
    throw new TypeError(
      "Cannot use --cluster_choice as clusters are only sampled with --instance_feat or --label_feat and without --use_encoded_image",
    );
  }
  for (const note of parsed.notes) print(`note: ${note}`);
  const untrained = hooks.untrained ?? false;
  const which = untrained ? "untrained" : o.which_epoch;
  const gPath = networkPath(ckpt, o.which_epoch, "G");
  if (!untrained) {
    try {
      await Deno.stat(gPath);
    } catch {
      throw new Deno.errors.NotFound(
        `Cannot test as the generator checkpoint ${gPath} does not exist (check --checkpoints_dir, --name and --which_epoch)`,
      );
    }
  }

  const given = parseClusterChoice(o.cluster_choice);
  const sampled = features && !encoded ? await readRunClusters(o, ckpt, parsed.given) : undefined;
  if (sampled) print(`feature clusters from ${sampled.path}`);
  const ePath = networkPath(ckpt, o.which_epoch, "E");
  if (encoded && !untrained && !(await Deno.stat(ePath).then(() => true, () => false))) {
    throw new Deno.errors.NotFound(
      `Cannot use --use_encoded_image as the encoder checkpoint ${ePath} does not exist`,
    );
  }

  const rt = await initGpu();
  print(adapterLine(rt.gpu));
  const netG = buildG(o);
  const netE = encoded ? buildE(o) : undefined;
  const labelNc = o.label_nc;
  const noInstance = o.no_instance;
  const fo = featureOptions(o);
  try {
    if (untrained) print(`G with its initial weights (--seed ${o.seed})`);
    else {
      await loadNetwork(netG, gPath, { strict: true });
      print(`loaded ${gPath}`);
    }
    if (netE && !untrained) {
      await loadNetwork(netE, ePath, { strict: true });
      print(`loaded ${ePath}`);
    }
    const photos = encoded || await splitHasPhotos(o);
    const loader = await openSerial(o, { image: photos, limit: o.how_many });
    const dir = join(o.results_dir, o.name, `${o.phase}_${which}`);
    await Deno.mkdir(join(dir, "images"), { recursive: true });
    const format = o.format as ImageFormat;
    const images: TestResult["images"] = [];
    const rows: PageRow[] = [];
    let busy = 0;
    const choices: Record<string, Record<string, number>> = {};
    const used = new Set<number>();
    const measured = { psnr: [] as number[], ssim: [] as number[], perImage: [] as unknown[] };
    const classes = new Map<number, ClassColours>();
    const bar = new ProgressLine({ label: "test", total: loader.length, enabled: hooks.progress });
    try {
      for await (const batch of loader.epoch(0)) {
        const t0 = performance.now();
        const { width: w, height: h } = batch;
        const name = basename(batch.entries[0].label, extname(batch.entries[0].label));
        let feat: Float32Array | undefined;
        if (netE) feat = (await encodeBatch(netE, batch, fo)).pooled;
        else if (sampled) {
          const ids = poolingIds(batch, fo.labelFeat);
          const present = new Set(ids);
          const mine = new Map([...given].filter(([id]) => present.has(id)));
          for (const id of mine.keys()) used.add(id);
          const choice = chooseClusters(sampled.clusters, ids, {
            seed: o.seed,
            given: mine,
          });
          choices[name] = Object.fromEntries([...choice].sort((a, b) => a[0] - b[0]));
          feat = featureMap(sampled.clusters, ids, w, h, choice);
        }
        const fake = noGrad(() =>
          tidy(() =>
            netG.forward(
              generatorInput(
                batchInputs(batch, { labelNc, noInstance }).label,
                feat && Tensor.from(feat, [1, feat.length / (w * h), h, w]),
              ),
            )
          )
        );
        const planar = await fake.floats();
        fake.dispose();
        busy += (performance.now() - t0) / 1000;
        bar.end();
        print(`process image... ${batch.entries[0].label}`);
        const label = `images/${name}_input_label.${format}`;
        const synthesized = `images/${name}_synthesized_image.${format}`;
        await Deno.writeFile(
          join(dir, label),
          encodeImage(labelImage(batch, labelNc), w, h, format),
        );
        const fakeBytes = imageBytes(planar, w, h);
        await Deno.writeFile(join(dir, synthesized), encodeImage(fakeBytes, w, h, format));
        images.push({ name, label: join(dir, label), synthesized: join(dir, synthesized) });
        const shown = [
          { caption: "input_label", src: label },
          { caption: "synthesized_image", src: synthesized },
        ];
        if (batch.image) {
          const real = `images/${name}_real_image.${format}`;
          const realBytes = batch.image.subarray(0, 3 * w * h);
          await Deno.writeFile(join(dir, real), encodeImage(realBytes, w, h, format));
          shown.push({ caption: "real_image", src: real });
          const p = psnr(fakeBytes, realBytes, w, h);
          const q = Math.min(w, h) >= SSIM_WINDOW ? ssim(fakeBytes, realBytes, w, h) : NaN;
          if (Number.isFinite(p)) measured.psnr.push(p);
          if (!Number.isNaN(q)) measured.ssim.push(q);
          if (batch.labelChannels === 1) {
            addClassColours(classes, batch.label.subarray(0, w * h), fakeBytes, realBytes, w, h);
          }
          measured.perImage.push({ name, psnr: Number.isFinite(p) ? p : null, ssim: q });
        }
        rows.push({ heading: name, images: shown });
        bar.update(images.length);
      }
    } finally {
      bar.end();
      loader.close();
    }
    for (const id of given.keys()) {
      if (!used.has(id)) print(`note: --cluster_choice instance ${id} is in none of the images`);
    }
    let clusterChoices: string | undefined;
    if (sampled) {
      clusterChoices = join(dir, "cluster_choices.json");
      await writeTextAtomic(clusterChoices, JSON.stringify(choices, null, 1) + "\n");
    }
    let metrics: TestMetrics | undefined;
    if (measured.perImage.length > 0) {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const perClass = Object.fromEntries(
        [...classes].sort((a, b) => a[0] - b[0]).map(([id, c]) => [`${id}`, classColourError(c)]),
      );
      metrics = {
        images: measured.perImage.length,
        psnr: mean(measured.psnr),
        ssim: mean(measured.ssim),
        classColourError: perClass,
        meanClassColourError: meanClassColourError(classes),
        file: join(dir, "metrics.json"),
      };
      const { file: _, ...json } = metrics;
      await writeTextAtomic(
        metrics.file,
        JSON.stringify({ ...json, perImage: measured.perImage }, null, 1) + "\n",
      );
      print(
        `against the real photos: PSNR ${metrics.psnr.toFixed(2)} dB, SSIM ${
          metrics.ssim.toFixed(4)
        }, per-class colour error ${
          metrics.meanClassColourError.toFixed(1)
        } (${metrics.images} images)`,
      );
    }
    const page = join(dir, "index.html");
    await writeTextAtomic(
      page,
      imagePage({
        title: `Experiment = ${o.name}, Phase = ${o.phase}, Epoch = ${which}`,
        rows,
        width: o.display_winsize,
      }),
    );
    return {
      dir,
      page,
      images,
      options: o,
      metrics,
      secondsPerImage: busy / (images.length || 1),
      clusterChoices,
    };
  } finally {
    netG.dispose();
    netE?.dispose();
  }
}

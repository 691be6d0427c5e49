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
import { buildE, buildG, openSerial, rememberedOptions, usesFeatures } from "./model.ts";
import type { Options, ParsedOptions } from "./options.ts";
import { encodeImage, imageBytes, type ImageFormat, labelImage } from "../data/visuals.ts";

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
  const which = o.which_epoch;
  const gPath = networkPath(ckpt, which, "G");
  try {
    await Deno.stat(gPath);
  } catch {
    throw new Deno.errors.NotFound(
      `Cannot test as the generator checkpoint ${gPath} does not exist (check --checkpoints_dir, --name and --which_epoch)`,
    );
  }

  const given = parseClusterChoice(o.cluster_choice);
  const sampled = features && !encoded ? await readRunClusters(o, ckpt, parsed.given) : undefined;
  if (sampled) print(`feature clusters from ${sampled.path}`);
  const ePath = networkPath(ckpt, which, "E");
  if (encoded && !(await Deno.stat(ePath).then(() => true, () => false))) {
    throw new Deno.errors.NotFound(
      `Cannot use --use_encoded_image as the encoder checkpoint ${ePath} does not exist`,
    );
  }

  const rt = await initGpu();
  print(`adapter: ${rt.gpu.adapter}`);
  const netG = buildG(o);
  const netE = encoded ? buildE(o) : undefined;
  const labelNc = o.label_nc;
  const noInstance = o.no_instance;
  const fo = featureOptions(o);
  try {
    await loadNetwork(netG, gPath, { strict: true });
    print(`loaded ${gPath}`);
    if (netE) {
      await loadNetwork(netE, ePath, { strict: true });
      print(`loaded ${ePath}`);
    }
    const loader = await openSerial(o, { image: encoded, limit: o.how_many });
    const dir = join(o.results_dir, o.name, `${o.phase}_${which}`);
    await Deno.mkdir(join(dir, "images"), { recursive: true });
    const format = o.format as ImageFormat;
    const images: TestResult["images"] = [];
    const rows: PageRow[] = [];
    let busy = 0;
    const choices: Record<string, Record<string, number>> = {};
    const used = new Set<number>();
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
    for (const id of given.keys()) {
      if (!used.has(id)) print(`note: --cluster_choice instance ${id} is in none of the images`);
    }
    let clusterChoices: string | undefined;
    if (sampled) {
      clusterChoices = join(dir, "cluster_choices.json");
      await writeTextAtomic(clusterChoices, JSON.stringify(choices, null, 1) + "\n");
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
      secondsPerImage: busy / (images.length || 1),
      clusterChoices,
    };
  } finally {
    netG.dispose();
    netE?.dispose();
  }
}

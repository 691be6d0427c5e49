/**
 * Opens a run for the editor from its files' bytes, with no file system: G built from the run's
 * options and loaded strictly from its checkpoint, the feature clusters when G takes features,
 * and the scenes (label and instance PNGs), or a synthetic street when none are given. The web
 * page (`web/main.ts`) opens the files a user selects or a site's files this way.
 *
 * @module
 */
import { layoutStreet } from "../data/synthetic/street.ts";
import { mixSeed } from "../data/rng.ts";
import { decodeSample } from "../data/sample.ts";
import {
  planTransform,
  RESIZE_OR_CROP,
  type ResizeOrCrop,
  sizeMultiple,
  type TransformOptions,
} from "../data/transform.ts";
import { type FeatureClusters, parseClusters } from "../features/clusters.ts";
import { initGpu } from "../gpu/kernel.ts";
import { BytesSource } from "../io/byte_source.ts";
import { openCheckpointSource } from "../io/open_checkpoint.ts";
import {
  architectureOf,
  buildGenerator,
  type GeneratorArchitecture,
  usesFeatures,
} from "../pix2pixhd/architecture.ts";
import type { Generator } from "./render.ts";
import { defaultThingClasses } from "./scene.ts";
import { EditorSession, instancesFromLabels, type SceneSource } from "./session.ts";
import type { NamedBytes, RunBytes, SceneBytes } from "./site.ts";

/** G's architecture, and the options that size its scenes and seed their styles. */
export interface RunSettings extends GeneratorArchitecture {
  /** `--resize_or_crop`. */
  resize_or_crop: ResizeOrCrop;
  /** `--loadSize`. */
  loadSize: number;
  /** `--fineSize`. */
  fineSize: number;
  /** `--seed`: the styles drawn for objects not given one. */
  seed: number;
}

/** A run's settings from its options (`opt.json`), each field checked; `what` names the file. */
export function runSettings(options: unknown, what: string): RunSettings {
  const arch = architectureOf(options, what);
  const o = options as Record<string, unknown>;
  for (const k of ["loadSize", "fineSize"]) {
    if (!(Number.isInteger(o[k]) && (o[k] as number) > 0)) {
      throw new TypeError(
        `Cannot read ${what} as ${k} must be a positive whole number: current value is ${
          JSON.stringify(o[k])
        }`,
      );
    }
  }
  if (!Number.isInteger(o.seed)) {
    throw new TypeError(
      `Cannot read ${what} as seed must be a whole number: current value is ${
        JSON.stringify(o.seed)
      }`,
    );
  }
  if (!RESIZE_OR_CROP.includes(o.resize_or_crop as ResizeOrCrop)) {
    throw new TypeError(
      `Cannot read ${what} as resize_or_crop must be one of ${
        RESIZE_OR_CROP.join(", ")
      }: current value is ${JSON.stringify(o.resize_or_crop)}`,
    );
  }
  return {
    ...arch,
    resize_or_crop: o.resize_or_crop as ResizeOrCrop,
    loadSize: o.loadSize as number,
    fineSize: o.fineSize as number,
    seed: o.seed as number,
  };
}

/** The test-time transform of a run's scenes (as `cli/edit.ts`: no flip). */
export function sceneTransform(s: RunSettings): TransformOptions {
  return {
    resizeOrCrop: s.resize_or_crop,
    loadSize: s.loadSize,
    fineSize: s.fineSize,
    multiple: sizeMultiple({
      netG: s.netG,
      nDownsampleGlobal: s.n_downsample_global,
      nLocalEnhancers: s.n_local_enhancers,
    }),
    flip: false,
  };
}

/**
 * The size of the synthetic street opened when no scene is given: a Cityscapes-shaped label map
 * (2:1) `loadSize` wide through the run's transform, so `scale_width` at `loadSize` 512 gives
 * 512×256, `resize_and_crop` and `crop` a `fineSize` square.
 */
export function streetSize(s: RunSettings): { width: number; height: number } {
  const virtual = { width: s.loadSize, height: Math.max(1, Math.round(s.loadSize / 2)) };
  const { crop } = planTransform(virtual, sceneTransform(s), { cropX: 0, cropY: 0, flip: false });
  return { width: crop.width, height: crop.height };
}

/** An open run: the editor's session over G. */
export interface OpenedRun {
  /** The editor's state, with its first scene open. */
  session: EditorSession;
  /** G, loaded. */
  netG: Generator;
  /** The run's settings. */
  settings: RunSettings;
  /** Frees G. */
  dispose(): void;
}

function sceneSource(
  scene: SceneBytes,
  index: number,
  s: RunSettings,
  ready: boolean,
): SceneSource {
  const things = new Set(defaultThingClasses(s.label_nc));
  // A site's scenes are at G's size already; a dataset's go through the run's transform.
  const transform: TransformOptions = ready
    ? { resizeOrCrop: "none", multiple: 1 }
    : sceneTransform(s);
  const multiple = sceneTransform(s).multiple!;
  return {
    name: scene.name,
    load: () => {
      const entry = scene.inst
        ? { key: scene.name, label: scene.label.name, inst: scene.inst.name }
        : { key: scene.name, label: scene.label.name };
      const sample = decodeSample(
        { label: scene.label.bytes, inst: scene.inst?.bytes },
        entry,
        { labelNc: s.label_nc, transform, seed: mixSeed(s.seed, index) },
      );
      if (sample.width % multiple || sample.height % multiple) {
        throw new RangeError(
          `Cannot open ${scene.label.name} as G needs sizes that are multiples of ${multiple}: current size is ${sample.width}×${sample.height}`,
        );
      }
      const inst = sample.inst ??
        instancesFromLabels(sample.label, sample.width, (c) => things.has(c));
      return Promise.resolve({
        width: sample.width,
        height: sample.height,
        label: sample.label,
        inst,
      });
    },
  };
}

function streetScene(s: RunSettings): SceneSource {
  if (s.label_nc !== 35) {
    throw new RangeError(
      `Cannot open a synthetic street as its labels are Cityscapes' 35 classes: current value is label_nc ${s.label_nc} (give label maps *_labelIds.png)`,
    );
  }
  const size = streetSize(s);
  return {
    name: `street (synthetic, ${size.width}×${size.height})`,
    load: () => {
      const street = layoutStreet({ ...size, seed: 1 });
      return Promise.resolve({ ...size, label: street.label, inst: Int32Array.from(street.inst) });
    },
  };
}

function readClusters(file: NamedBytes | undefined, s: RunSettings): FeatureClusters | undefined {
  if (!usesFeatures(s)) {
    if (file) {
      throw new TypeError(
        `Cannot use ${file.name} as G takes no features: current value is instance_feat false and label_feat false`,
      );
    }
    return undefined;
  }
  if (!file) {
    throw new TypeError(
      "Cannot open the run as G takes instance features and no cluster file was given: current value is none (give features_clustered_*.json or .npy, written by cli/encode.ts)",
    );
  }
  const clusters = parseClusters(file.bytes, file.name);
  if (clusters.featNum !== s.feat_num) {
    throw new RangeError(
      `Cannot use ${file.name} as its features must have feat_num ${s.feat_num} values: current value is ${clusters.featNum}`,
    );
  }
  return clusters;
}

/** Loads G's weights strictly from its checkpoint's bytes; errors name the file. */
async function loadWeights(netG: Generator, file: NamedBytes): Promise<void> {
  using checkpoint = await openCheckpointSource(new BytesSource(file.bytes, file.name));
  let loaded: number;
  try {
    loaded = (await netG.loadStateDict(checkpoint.tensors, { strict: true })).loaded.length;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const Class = error.constructor as new (message: string, options: ErrorOptions) => Error;
    throw new Class(`Cannot load ${file.name}: ${error.message}`, { cause: error });
  }
  if (loaded === 0) {
    throw new TypeError(`Cannot load ${file.name} as none of its keys fit G: current value is 0`);
  }
}

/**
 * Opens a run for the editor: checks its options, clusters and scenes, builds G (its initial
 * weights from a fixed seed, then all replaced by the checkpoint's) on the GPU, and opens the
 * first scene. With `run.scenesReady` the scenes are taken at their size (a site's); otherwise
 * they go through the run's transform as `cli/edit.ts` loads them.
 */
export async function openRun(run: RunBytes): Promise<OpenedRun> {
  const settings = runSettings(run.options, run.optionsName);
  if (settings.label_nc === 0) {
    throw new TypeError(
      `Cannot edit RGB label images: current value is label_nc 0 in ${run.optionsName} (the editor edits label ids)`,
    );
  }
  const clusters = readClusters(run.clusters, settings);
  const scenes = run.scenes.length
    ? run.scenes.map((scene, i) => sceneSource(scene, i, settings, !!run.scenesReady))
    : [streetScene(settings)];
  await initGpu();
  const netG = buildGenerator(settings, 0);
  try {
    await loadWeights(netG, run.generator);
    const session = new EditorSession({
      netG,
      input: { labelNc: settings.label_nc, noInstance: settings.no_instance },
      clusters,
      seed: settings.seed,
      scenes,
    });
    await session.open(0);
    return { session, netG, settings, dispose: () => netG.dispose() };
  } catch (error) {
    netG.dispose();
    throw error;
  }
}

/**
 * Writes a synthetic street dataset in pix2pixHD's aligned layout or the Cityscapes tree, with
 * Cityscapes names (`synth_000000_000019_gtFine_labelIds.png`, `..._gtFine_instanceIds.png`,
 * `..._leftImg8bit.png`): 8-bit label ids, 16-bit instance ids and an RGB photo per scene.
 *
 * @module
 */
import { join } from "node:path";
import jpeg from "jpeg-js";
import type { Layout } from "../layout.ts";
import { encodePng } from "../png.ts";
import { mixSeed } from "../rng.ts";
import { layoutStreet } from "./street.ts";
import { paintStreet } from "./street_photo.ts";

/** Options of {@linkcode writeStreetDataset}. */
export interface MakeOptions {
  /** Number of scenes. */
  count: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Seed; scene i uses `mixSeed(seed, i)`, so a larger count only adds scenes. Default 0. */
  seed?: number;
  /** `aligned` (`<phase>_label`, ...) or `cityscapes` (`gtFine/<phase>/synth`, ...). Default aligned. */
  layout?: Layout;
  /** Folder prefix or Cityscapes split. Default `train`. */
  phase?: string;
  /** Photo format: `png` or `jpg` (quality 95). Default png. */
  photoFormat?: "png" | "jpg";
  /** Called after each scene is written. */
  onScene?: (index: number, stem: string) => void;
}

/** The maps of one synthetic scene. */
export interface StreetScene {
  /** Label ids, (height, width). */
  label: Uint8Array;
  /** Instance ids, (height, width). */
  inst: Uint16Array;
  /** Photo, RGB bytes (height, width, 3). */
  photo: Uint8Array;
}

/**
 * Renders one synthetic street scene: label ids, Cityscapes instance ids and a textured photo.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { renderStreetScene } from "./make.ts";
 *
 * const scene = renderStreetScene({ width: 64, height: 32, seed: 5 });
 * deepEqual(scene.photo.length, 64 * 32 * 3);
 * ```
 *
 * @param options Size in pixels and seed.
 * @returns The scene's maps.
 */
export function renderStreetScene(
  options: { width: number; height: number; seed: number },
): StreetScene {
  const layout = layoutStreet(options);
  return { label: layout.label, inst: layout.inst, photo: paintStreet(layout, options.seed) };
}

/**
 * Writes `count` synthetic scenes under `out` and returns the files' stems.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { listDataset } from "../layout.ts";
 * import { writeStreetDataset } from "./make.ts";
 *
 * const out = await Deno.makeTempDir();
 * await writeStreetDataset(out, { count: 2, width: 64, height: 32, layout: "cityscapes" });
 * deepEqual((await listDataset(out)).length, 2);
 * await Deno.remove(out, { recursive: true });
 * ```
 *
 * @param out The dataset root to write (created if missing).
 * @param options Count, size, seed, layout, phase and photo format.
 * @returns The stems written, e.g. `synth_000000_000019`.
 */
export async function writeStreetDataset(out: string, options: MakeOptions): Promise<string[]> {
  const {
    count,
    width,
    height,
    seed = 0,
    layout = "aligned",
    phase = "train",
    photoFormat = "png",
  } = options;
  if (!(Number.isInteger(count) && count > 0)) {
    throw new RangeError(
      `Cannot write the dataset as count must be a positive integer: current value is ${count}`,
    );
  }
  if (layout !== "aligned" && layout !== "cityscapes") {
    throw new TypeError(
      `Cannot write the dataset as layout must be aligned or cityscapes: current value is ${layout}`,
    );
  }
  if (photoFormat !== "png" && photoFormat !== "jpg") {
    throw new TypeError(
      `Cannot write the dataset as the photo format must be png or jpg: current value is ${photoFormat}`,
    );
  }
  const dirs = layout === "aligned"
    ? {
      label: join(out, `${phase}_label`),
      inst: join(out, `${phase}_inst`),
      image: join(out, `${phase}_img`),
    }
    : {
      label: join(out, "gtFine", phase, "synth"),
      inst: join(out, "gtFine", phase, "synth"),
      image: join(out, "leftImg8bit", phase, "synth"),
    };
  for (const dir of new Set(Object.values(dirs))) await Deno.mkdir(dir, { recursive: true });
  const stems: string[] = [];
  for (let i = 0; i < count; i++) {
    const stem = `synth_${String(i).padStart(6, "0")}_000019`;
    const scene = renderStreetScene({ width, height, seed: mixSeed(seed, i) });
    const photo = photoFormat === "png"
      ? encodePng({ width, height, channels: 3, data: scene.photo })
      : encodeJpeg(scene.photo, width, height);
    await Promise.all([
      Deno.writeFile(
        join(dirs.label, `${stem}_gtFine_labelIds.png`),
        encodePng({ width, height, channels: 1, data: scene.label }),
      ),
      Deno.writeFile(
        join(dirs.inst, `${stem}_gtFine_instanceIds.png`),
        encodePng({ width, height, channels: 1, data: scene.inst }),
      ),
      Deno.writeFile(join(dirs.image, `${stem}_leftImg8bit.${photoFormat}`), photo),
    ]);
    stems.push(stem);
    options.onScene?.(i, stem);
  }
  return stems;
}

function encodeJpeg(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = rgb[3 * i];
    rgba[4 * i + 1] = rgb[3 * i + 1];
    rgba[4 * i + 2] = rgb[3 * i + 2];
    rgba[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width, height, data: rgba }, 95).data);
}

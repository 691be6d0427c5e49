/**
 * The editor's state on the server: the scene being edited, its photo (re-synthesized after
 * each edit), the scenes it can open, and uploads of label maps, checked with clear messages.
 *
 * @module
 */

import { decodeImage, isPng } from "../data/decode.ts";
import { readPngHeader } from "../data/png.ts";
import { toLabelIds } from "../data/convert.ts";
import type { InputOptions } from "../pix2pixhd/input.ts";
import type { FeatureClusters } from "../features/clusters.ts";
import { type Generator, renderScene, styleVariants } from "./render.ts";
import {
  type BrushShape,
  defaultThingClasses,
  type Point,
  Scene,
  type SceneMaps,
  type Style,
} from "./scene.ts";

/** A scene the editor can open, such as a test-set label map. */
export interface SceneSource {
  /** Its name (the label file's base name). */
  name: string;
  /** Loads its maps. */
  load(): Promise<SceneMaps>;
}

/** Options of {@linkcode EditorSession}. */
export interface SessionOptions {
  /** The generator. */
  netG: Generator;
  /** Its input layout; `labelNc` must be positive (label ids). */
  input: InputOptions;
  /** The run's feature clusters, when G takes features. */
  clusters?: FeatureClusters;
  /** Seed of the styles not chosen. */
  seed?: number;
  /** Scenes to open; the first is opened at start. */
  scenes: readonly SceneSource[];
}

/** Thrown for a request the editor refuses (shown on the page). */
export class EditError extends Error {}

/** Runs `read`, turning its error into an {@linkcode EditError} with the same message. */
function refused<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new EditError((error as Error).message);
  }
}

/**
 * Connected regions (4-neighbours) of each thing class as instances `class · 1000 + n`; stuff
 * pixels get their class id. Used for uploaded label maps, which come without instance maps.
 */
export function instancesFromLabels(
  label: Uint8Array,
  width: number,
  isThing: (label: number) => boolean,
): Int32Array {
  const inst = new Int32Array(label.length).fill(-1);
  const next = new Map<number, number>();
  const stack: number[] = [];
  for (let start = 0; start < label.length; start++) {
    if (inst[start] !== -1) continue;
    const c = label[start];
    if (!isThing(c)) {
      inst[start] = c;
      continue;
    }
    const n = next.get(c) ?? 0;
    next.set(c, n + 1);
    const id = c * 1000 + n;
    inst[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % width;
      const around = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width];
      for (const q of around) {
        if (q >= 0 && q < label.length && inst[q] === -1 && label[q] === c) {
          inst[q] = id;
          stack.push(q);
        }
      }
    }
  }
  return inst;
}

/** The editor's state; every method is meant to run one at a time. */
export class EditorSession {
  /** The scene being edited. */
  scene!: Scene;
  /** Its name. */
  sceneName = "";
  /** Increases with every change of the scene (for cache-busting image URLs). */
  version = 0;
  readonly #o: SessionOptions;
  #photo?: { version: number; rgb: Uint8Array };

  /** A session over `options.scenes`; call {@linkcode EditorSession.open} before use. */
  constructor(options: SessionOptions) {
    if (!(options.input.labelNc > 0)) {
      throw new TypeError(
        `Cannot edit scenes of RGB label images: current value is label_nc ${options.input.labelNc}`,
      );
    }
    this.#o = options;
  }

  /** The scenes that can be opened, by name. */
  get sceneNames(): string[] {
    return this.#o.scenes.map((s) => s.name);
  }

  #newScene(maps: SceneMaps, name: string): void {
    this.scene = new Scene(maps, {
      labelNc: this.#o.input.labelNc,
      clusters: this.#o.clusters,
      seed: this.#o.seed,
    });
    this.sceneName = name;
    this.#changed();
  }

  #changed(): void {
    this.version++;
    this.#photo = undefined;
  }

  /** Opens scene `index` of the list. */
  async open(index: number): Promise<void> {
    const source = this.#o.scenes[index];
    if (!source) {
      throw new EditError(
        `Cannot open scene ${index} as there are ${this.#o.scenes.length} (0..${
          this.#o.scenes.length - 1
        })`,
      );
    }
    this.#newScene(await source.load(), source.name);
  }

  /**
   * Opens an uploaded label map: a one-channel PNG of label ids below `label_nc`, the size of the
   * current scene. Things become one instance per connected region. The size is checked from the
   * PNG's header before its pixels are decoded, so a small file of huge size costs nothing. The
   * name becomes the scene's (and its downloads'), so it may not hold control characters, quotes
   * or slashes.
   */
  upload(bytes: Uint8Array, name: string): void {
    if (/[\p{Cc}"'\\/]/u.test(name)) {
      throw new EditError(
        `Cannot open the upload as its name must not hold control characters, quotes or slashes: current value is ${
          JSON.stringify(name)
        }`,
      );
    }
    if (!isPng(bytes)) {
      throw new EditError(`Cannot open ${name} as it must be a PNG file of label ids`);
    }
    const { width, height } = this.scene;
    const header = refused(() => readPngHeader(bytes, { name }));
    if (header.width !== width || header.height !== height) {
      throw new EditError(
        `Cannot open ${name} as the model edits ${width}×${height} label maps: current size is ${header.width}×${header.height}`,
      );
    }
    const label = refused(() => toLabelIds(decodeImage(bytes, name), name));
    const labelNc = this.#o.input.labelNc;
    const bad = label.findIndex((v) => v >= labelNc);
    if (bad >= 0) {
      throw new EditError(
        `Cannot open ${name} as its label ids must be 0..${labelNc - 1}: current value is ${
          label[bad]
        } at (${bad % width}, ${Math.floor(bad / width)})`,
      );
    }
    const things = new Set(defaultThingClasses(labelNc));
    const inst = instancesFromLabels(label, width, (c) => things.has(c));
    this.#newScene({ width, height, label, inst }, name.replace(/\.png$/i, ""));
  }

  /** Runs an edit; the photo is made again when `changed` says the scene changed. */
  #run<T>(edit: () => T, changed: (out: T) => boolean = () => true): T {
    try {
      const out = edit();
      if (changed(out)) this.#changed();
      return out;
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError) {
        throw new EditError(error.message);
      }
      throw error;
    }
  }

  /** Relabels object `id`; returns its new id. */
  relabel(id: number, label: number): number {
    return this.#run(() => this.scene.relabel(id, label));
  }

  /** Paints a stroke; returns the pixels changed. */
  paint(points: Point[], label: number, size: number, shape?: BrushShape): number {
    return this.#run(() => this.scene.paint(points, label, size, shape), (n) => n > 0);
  }

  /** Fills the region around a point; returns the pixels changed. */
  fill(point: Point, label: number): number {
    return this.#run(() => this.scene.fill(point, label), (n) => n > 0);
  }

  /** Adds an object from a mask; returns its id. */
  addObject(mask: ArrayLike<number>, label: number, style?: Style): number {
    return this.#run(() => this.scene.addObject(mask, label, style));
  }

  /** Sets an object's style. */
  setStyle(id: number, style: Style): void {
    this.#run(() => this.scene.setStyle(id, style));
  }

  /** Undo; false when there was nothing to undo. */
  undo(): boolean {
    return this.#run(() => this.scene.undo(), (done) => done);
  }

  /** Redo; false when there was nothing to redo. */
  redo(): boolean {
    return this.#run(() => this.scene.redo(), (done) => done);
  }

  /** Back to the scene as opened. */
  reset(): void {
    this.#run(() => this.scene.reset());
  }

  /** The photo of the current scene, RGB bytes (H, W, 3), synthesized once per version. */
  async photo(): Promise<Uint8Array> {
    if (this.#photo?.version !== this.version) {
      const version = this.version;
      const rgb = await renderScene(this.#o.netG, this.scene, this.#o.input);
      this.#photo = { version, rgb };
    }
    return this.#photo.rgb;
  }

  /** Crops of object `id` under each cluster of its class. */
  variants(id: number): ReturnType<typeof styleVariants> {
    if (!this.scene.object(id)) {
      throw new EditError(`Cannot preview instance ${id} as no pixel has it`);
    }
    return styleVariants(this.#o.netG, this.scene, id, this.#o.input);
  }
}

/**
 * An editable scene: a label map, an instance map and a style per instance, with the edits of
 * pix2pixHD's interactive demo (relabel an object, paint a brush stroke of a class, add an
 * object from a mask, set an object's style) and undo, redo and reset. It holds no GPU state;
 * {@linkcode Scene.featureMap} gives the features G needs, see `lib/edit/render.ts`.
 *
 * Instance ids follow Cityscapes: a "thing" (a class with instances, such as a car) has ids
 * `class · 1000 + n`; "stuff" (road, sky) has its class id as instance id, so that all of it is
 * one region. Undo keeps the changed pixels only, so a long history of a 2048×1024 scene stays
 * small.
 *
 * @module
 */

import { CITYSCAPES_LABELS } from "../data/cityscapes.ts";
import {
  chooseClusters,
  type FeatureClusters,
  featureMap,
  instanceLabel,
} from "../features/clusters.ts";

/**
 * The classes with instances of their own ("things") by default: Cityscapes' (person, rider, car,
 * truck, bus, caravan, trailer, train, motorcycle, bicycle) for 35 classes, else none.
 */
export function defaultThingClasses(labelNc: number): number[] {
  return labelNc === 35 ? CITYSCAPES_LABELS.filter((l) => l.hasInstances).map((l) => l.id) : [];
}

/** An object's style: one of its class's clusters, or a feature vector of `feat_num` values. */
export type Style = { cluster: number } | { vector: number[] };

/** The maps of a scene. */
export interface SceneMaps {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Label ids, one per pixel (H·W, raster order). */
  label: Uint8Array;
  /** Instance ids, one per pixel. */
  inst: Int32Array;
}

/** Options of {@linkcode Scene}. */
export interface SceneOptions {
  /** Label classes (`--label_nc`); ids must be below it. */
  labelNc: number;
  /** The run's feature clusters, when G takes features. */
  clusters?: FeatureClusters;
  /** Seed of the styles not set (each object's draw depends only on it and the id). */
  seed?: number;
  /** Classes with instances (default: Cityscapes' for 35 classes, else none). */
  thingClasses?: readonly number[];
  /** Edits kept for undo (default 100). */
  historyLimit?: number;
}

/** One object of a scene. */
export interface SceneObject {
  /** Its instance id. */
  id: number;
  /** Its class. */
  label: number;
  /** Its pixels. */
  area: number;
  /** Its bounding box: left, top, width, height. */
  box: [number, number, number, number];
  /** Its style: set, or drawn (`undefined` when its class has no clusters). */
  style?: Style;
}

interface Edit {
  pixels: Int32Array;
  before: { label: Uint8Array; inst: Int32Array };
  after: { label: Uint8Array; inst: Int32Array };
  stylesBefore: Map<number, Style>;
  stylesAfter: Map<number, Style>;
}

/** A point in pixels. */
export type Point = readonly [number, number];

/** The brush shapes of {@linkcode Scene.paint}. */
export const BRUSH_SHAPES = ["square", "round"] as const;

/** A brush shape. */
export type BrushShape = typeof BRUSH_SHAPES[number];

/** A scene with edits, undo and redo; see the module doc. */
export class Scene {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Label classes. */
  readonly labelNc: number;
  /** The feature clusters, when G takes features. */
  readonly clusters?: FeatureClusters;
  /** Seed of the styles not set. */
  readonly seed: number;
  readonly #things: ReadonlySet<number>;
  readonly #limit: number;
  readonly #original: { label: Uint8Array; inst: Int32Array };
  #label: Uint8Array;
  #inst: Int32Array;
  #styles = new Map<number, Style>();
  #undo: Edit[] = [];
  #redo: Edit[] = [];

  /** A scene of `maps` (copied); label ids are checked against `labelNc`. */
  constructor(maps: SceneMaps, options: SceneOptions) {
    const { width, height, label, inst } = maps;
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      throw new RangeError(
        `Cannot make a scene as its size must be positive integers: current value is ${width}×${height}`,
      );
    }
    for (const [name, map] of [["label", label], ["instance", inst]] as const) {
      if (map.length !== width * height) {
        throw new RangeError(
          `Cannot make a scene as its ${name} map must have ${width}×${height} values: current length is ${map.length}`,
        );
      }
    }
    this.width = width;
    this.height = height;
    this.labelNc = options.labelNc;
    for (let p = 0; p < label.length; p++) {
      this.#checkLabel(label[p], `pixel ${p} of the label map`);
    }
    this.clusters = options.clusters;
    this.seed = options.seed ?? 0;
    this.#things = new Set(options.thingClasses ?? defaultThingClasses(options.labelNc));
    this.#limit = options.historyLimit ?? 100;
    this.#label = label.slice();
    this.#inst = inst.slice();
    this.#original = { label: label.slice(), inst: inst.slice() };
  }

  #checkLabel(label: number, what: string): void {
    if (!(Number.isInteger(label) && label >= 0 && label < this.labelNc)) {
      throw new RangeError(
        `Cannot use ${what} as label ids must be 0..${this.labelNc - 1}: current value is ${label}`,
      );
    }
  }

  /** The label map (a view: do not modify). */
  get label(): Uint8Array {
    return this.#label;
  }

  /** The instance map (a view: do not modify). */
  get inst(): Int32Array {
    return this.#inst;
  }

  /** Whether there is an edit to undo. */
  get canUndo(): boolean {
    return this.#undo.length > 0;
  }

  /** Whether there is an edit to redo. */
  get canRedo(): boolean {
    return this.#redo.length > 0;
  }

  /** Whether a class has instances of its own (a "thing"). */
  isThing(label: number): boolean {
    return this.#things.has(label);
  }

  #index(point: Point): number {
    const [x, y] = point;
    if (
      !(Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < this.width &&
        y < this.height)
    ) {
      throw new RangeError(
        `Cannot use point (${x}, ${y}) as it must lie in the ${this.width}×${this.height} scene`,
      );
    }
    return y * this.width + x;
  }

  /** The instance id at a point. */
  idAt(point: Point): number {
    return this.#inst[this.#index(point)];
  }

  /** The object with instance id `id`, or undefined when no pixel has it. */
  object(id: number): SceneObject | undefined {
    let area = 0, x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1, label = 0;
    for (let p = 0; p < this.#inst.length; p++) {
      if (this.#inst[p] !== id) continue;
      const x = p % this.width, y = (p - x) / this.width;
      if (area === 0) label = this.#label[p];
      area++;
      x0 = Math.min(x0, x), y0 = Math.min(y0, y), x1 = Math.max(x1, x), y1 = Math.max(y1, y);
    }
    if (area === 0) return undefined;
    return { id, label, area, box: [x0, y0, x1 - x0 + 1, y1 - y0 + 1], style: this.style(id) };
  }

  /** The ids present, sorted. */
  ids(): number[] {
    return [...new Set(this.#inst)].sort((a, b) => a - b);
  }

  /** An object's style: the one set, else its drawn cluster, else undefined. */
  style(id: number): Style | undefined {
    const set = this.#styles.get(id);
    if (set) return set;
    const cluster = this.clusters &&
      chooseClusters(this.clusters, [id], { seed: this.seed }).get(id);
    return cluster === undefined ? undefined : { cluster };
  }

  /** Clusters of an object's class (0 when there are none). */
  clusterCount(id: number): number {
    return this.clusters?.centres.get(instanceLabel(id))?.length ?? 0;
  }

  /**
   * The feature map of the scene's styles (`feat_num` planes), or undefined without clusters.
   * `override` styles one object differently without editing the scene (for previews).
   */
  featureMap(override?: { id: number; style: Style }): Float32Array | undefined {
    if (!this.clusters) return undefined;
    const given = new Map<number, number>();
    const vectors = new Map<number, number[]>();
    const present = new Set(this.#inst);
    const styles = new Map(this.#styles);
    if (override) styles.set(override.id, this.#checkStyle(override.id, override.style));
    for (const [id, style] of styles) {
      if (!present.has(id)) continue;
      if ("cluster" in style) given.set(id, style.cluster);
      else vectors.set(id, style.vector);
    }
    const choice = chooseClusters(this.clusters, [...present], { seed: this.seed, given });
    return featureMap(this.clusters, this.#inst, this.width, this.height, choice, vectors);
  }

  #newId(label: number): number {
    if (!this.isThing(label)) return label;
    let top = label * 1000 - 1;
    for (const id of this.#inst) {
      if (instanceLabel(id) === label && id >= 1000) top = Math.max(top, id);
    }
    for (const id of this.#styles.keys()) {
      if (instanceLabel(id) === label && id >= 1000) top = Math.max(top, id);
    }
    return top + 1;
  }

  /** Applies pixel changes (new values by pixel index) and styles as one undoable edit. */
  #commit(
    pixels: readonly number[],
    label: (p: number) => number,
    inst: (p: number) => number,
    styles: Map<number, Style>,
  ): void {
    const idx = Int32Array.from(pixels);
    const edit: Edit = {
      pixels: idx,
      before: {
        label: Uint8Array.from(idx, (p) => this.#label[p]),
        inst: idx.map((p) => this.#inst[p]),
      },
      after: { label: Uint8Array.from(idx, label), inst: idx.map(inst) },
      stylesBefore: this.#styles,
      stylesAfter: styles,
    };
    this.#apply(edit, "after");
    this.#undo.push(edit);
    if (this.#undo.length > this.#limit) this.#undo.shift();
    this.#redo = [];
  }

  #apply(edit: Edit, side: "before" | "after"): void {
    const maps = edit[side];
    edit.pixels.forEach((p, i) => {
      this.#label[p] = maps.label[i];
      this.#inst[p] = maps.inst[i];
    });
    this.#styles = side === "after" ? edit.stylesAfter : edit.stylesBefore;
  }

  /**
   * Gives object `id` class `label`: a thing gets a new instance id (returned), stuff joins that
   * class's region (id = label). A style set on it carries over when the class is unchanged.
   */
  relabel(id: number, label: number): number {
    this.#checkLabel(label, "the new label");
    const pixels: number[] = [];
    for (let p = 0; p < this.#inst.length; p++) if (this.#inst[p] === id) pixels.push(p);
    if (pixels.length === 0) {
      throw new RangeError(`Cannot relabel instance ${id} as no pixel has it`);
    }
    const newId = this.#newId(label);
    const styles = new Map(this.#styles);
    const style = styles.get(id);
    styles.delete(id);
    if (style && instanceLabel(newId) === instanceLabel(id)) styles.set(newId, style);
    this.#commit(pixels, () => label, () => newId, styles);
    return newId;
  }

  /**
   * Paints a stroke of class `label` with a brush `size` pixels wide through `points` (joined by
   * straight segments): a square brush, or a round one (the pixels whose centres lie within
   * `size / 2` of the square's centre). The painted pixels get instance id `label`, as
   * pix2pixHD's demo does. Returns the pixels changed.
   */
  paint(
    points: readonly Point[],
    label: number,
    size: number,
    shape: BrushShape = "square",
  ): number {
    this.#checkLabel(label, "the brush's label");
    if (!(Number.isInteger(size) && size >= 1)) {
      throw new RangeError(
        `Cannot paint as the brush size must be a positive integer: current value is ${size}`,
      );
    }
    if (!BRUSH_SHAPES.includes(shape)) {
      throw new RangeError(
        `Cannot paint as the brush shape must be one of ${
          BRUSH_SHAPES.join(", ")
        }: current value is ${JSON.stringify(shape)}`,
      );
    }
    if (points.length === 0) throw new RangeError("Cannot paint a stroke of no points");
    for (const p of points) this.#index(p);
    const hit = new Set<number>();
    const half = Math.floor((size - 1) / 2);
    // The brush's own pixels, as offsets from its top-left corner.
    const offsets: Point[] = [];
    const centre = (size - 1) / 2, r2 = (size / 2) ** 2;
    for (let dy = 0; dy < size; dy++) {
      for (let dx = 0; dx < size; dx++) {
        if (shape === "square" || (dx - centre) ** 2 + (dy - centre) ** 2 <= r2) {
          offsets.push([dx, dy]);
        }
      }
    }
    const stamp = (cx: number, cy: number) => {
      for (const [dx, dy] of offsets) {
        const x = cx - half + dx, y = cy - half + dy;
        if (x >= 0 && y >= 0 && x < this.width && y < this.height) hit.add(y * this.width + x);
      }
    };
    stamp(points[0][0], points[0][1]);
    for (let i = 1; i < points.length; i++) {
      const [ax, ay] = points[i - 1], [bx, by] = points[i];
      const steps = Math.max(Math.abs(bx - ax), Math.abs(by - ay));
      for (let s = 1; s <= steps; s++) {
        stamp(Math.round(ax + (bx - ax) * s / steps), Math.round(ay + (by - ay) * s / steps));
      }
    }
    const pixels = [...hit].filter((p) => this.#label[p] !== label || this.#inst[p] !== label);
    if (pixels.length) this.#commit(pixels, () => label, () => label, new Map(this.#styles));
    return pixels.length;
  }

  /**
   * Fills the region around `point` (the 4-connected pixels of its class and instance) with class
   * `label`: a thing becomes one new object (a new instance id), stuff joins its class's region
   * (id = label). An object filled whole loses its style. A region already of class `label` is
   * left as it is. Returns the pixels changed.
   */
  fill(point: Point, label: number): number {
    this.#checkLabel(label, "the fill's label");
    const seed = this.#index(point);
    const [fromLabel, fromInst] = [this.#label[seed], this.#inst[seed]];
    const region = [seed];
    const seen = new Uint8Array(this.#label.length);
    seen[seed] = 1;
    for (let i = 0; i < region.length; i++) {
      const p = region[i];
      const x = p % this.width;
      for (
        const q of [
          x > 0 ? p - 1 : -1,
          x < this.width - 1 ? p + 1 : -1,
          p - this.width,
          p + this.width,
        ]
      ) {
        if (
          q >= 0 && q < this.#label.length && !seen[q] && this.#label[q] === fromLabel &&
          this.#inst[q] === fromInst
        ) {
          seen[q] = 1;
          region.push(q);
        }
      }
    }
    if (fromLabel === label) return 0;
    const newId = this.#newId(label);
    const styles = new Map(this.#styles);
    if (!this.#inst.some((id, p) => id === fromInst && !seen[p])) styles.delete(fromInst);
    region.sort((a, b) => a - b);
    this.#commit(region, () => label, () => newId, styles);
    return region.length;
  }

  /**
   * Adds an object of class `label` where `mask` (H·W, non-zero inside) is set, over what is
   * there, with an optional style. Returns its instance id.
   */
  addObject(mask: ArrayLike<number>, label: number, style?: Style): number {
    this.#checkLabel(label, "the object's label");
    if (mask.length !== this.width * this.height) {
      throw new RangeError(
        `Cannot add an object as its mask must have ${this.width}×${this.height} values: current length is ${mask.length}`,
      );
    }
    const pixels: number[] = [];
    for (let p = 0; p < mask.length; p++) if (mask[p]) pixels.push(p);
    if (pixels.length === 0) throw new RangeError("Cannot add an object with an empty mask");
    const id = this.#newId(label);
    const styles = new Map(this.#styles);
    if (style) styles.set(id, this.#checkStyle(id, style));
    this.#commit(pixels, () => label, () => id, styles);
    return id;
  }

  #checkStyle(id: number, style: Style): Style {
    if ("cluster" in style) {
      const n = this.clusterCount(id);
      if (!(Number.isInteger(style.cluster) && style.cluster >= 0 && style.cluster < n)) {
        throw new RangeError(
          n === 0
            ? `Cannot style instance ${id} as class ${instanceLabel(id)} has no clusters`
            : `Cannot give instance ${id} cluster ${style.cluster} as class ${
              instanceLabel(id)
            } has clusters 0..${n - 1}`,
        );
      }
      return { cluster: style.cluster };
    }
    const featNum = this.clusters?.featNum;
    if (featNum === undefined) {
      throw new TypeError(`Cannot style instance ${id} as the model takes no features`);
    }
    if (style.vector.length !== featNum || !style.vector.every(Number.isFinite)) {
      throw new RangeError(
        `Cannot style instance ${id} as its vector must be ${featNum} finite numbers: current value is [${style.vector}]`,
      );
    }
    return { vector: [...style.vector] };
  }

  /** Sets object `id`'s style (a cluster of its class, or a feature vector). */
  setStyle(id: number, style: Style): void {
    if (!this.#inst.includes(id)) {
      throw new RangeError(`Cannot style instance ${id} as no pixel has it`);
    }
    const styles = new Map(this.#styles);
    styles.set(id, this.#checkStyle(id, style));
    this.#commit([], () => 0, () => 0, styles);
  }

  /** Undoes the last edit; false when there is none. */
  undo(): boolean {
    const edit = this.#undo.pop();
    if (!edit) return false;
    this.#apply(edit, "before");
    this.#redo.push(edit);
    return true;
  }

  /** Redoes the last undone edit; false when there is none. */
  redo(): boolean {
    const edit = this.#redo.pop();
    if (!edit) return false;
    this.#apply(edit, "after");
    this.#undo.push(edit);
    return true;
  }

  /** Back to the scene as it was made (undoable). */
  reset(): void {
    const pixels: number[] = [];
    const o = this.#original;
    for (let p = 0; p < this.#label.length; p++) {
      if (this.#label[p] !== o.label[p] || this.#inst[p] !== o.inst[p]) pixels.push(p);
    }
    if (pixels.length === 0 && this.#styles.size === 0) return;
    this.#commit(pixels, (p) => o.label[p], (p) => o.inst[p], new Map());
  }
}

/**
 * The Cityscapes label ids (`gtFine_labelIds`), their names, colours and whether they have
 * instances (`gtFine_instanceIds` holds id * 1000 + k for those, the plain id elsewhere).
 *
 * @module
 */

/** One Cityscapes class. */
export interface CityscapesLabel {
  /** Label id, the value in `*_gtFine_labelIds.png`. */
  id: number;
  /** Class name. */
  name: string;
  /** Colour of `*_gtFine_color.png`, RGB. */
  color: readonly [number, number, number];
  /** Whether instances are annotated (instance id = id * 1000 + k, k = 0, 1, ...). */
  hasInstances: boolean;
}

const TABLE: [string, number, number, number, boolean][] = [
  ["unlabeled", 0, 0, 0, false],
  ["ego vehicle", 0, 0, 0, false],
  ["rectification border", 0, 0, 0, false],
  ["out of roi", 0, 0, 0, false],
  ["static", 0, 0, 0, false],
  ["dynamic", 111, 74, 0, false],
  ["ground", 81, 0, 81, false],
  ["road", 128, 64, 128, false],
  ["sidewalk", 244, 35, 232, false],
  ["parking", 250, 170, 160, false],
  ["rail track", 230, 150, 140, false],
  ["building", 70, 70, 70, false],
  ["wall", 102, 102, 156, false],
  ["fence", 190, 153, 153, false],
  ["guard rail", 180, 165, 180, false],
  ["bridge", 150, 100, 100, false],
  ["tunnel", 150, 120, 90, false],
  ["pole", 153, 153, 153, false],
  ["polegroup", 153, 153, 153, false],
  ["traffic light", 250, 170, 30, false],
  ["traffic sign", 220, 220, 0, false],
  ["vegetation", 107, 142, 35, false],
  ["terrain", 152, 251, 152, false],
  ["sky", 70, 130, 180, false],
  ["person", 220, 20, 60, true],
  ["rider", 255, 0, 0, true],
  ["car", 0, 0, 142, true],
  ["truck", 0, 0, 70, true],
  ["bus", 0, 60, 100, true],
  ["caravan", 0, 0, 90, true],
  ["trailer", 0, 0, 110, true],
  ["train", 0, 80, 100, true],
  ["motorcycle", 0, 0, 230, true],
  ["bicycle", 119, 11, 32, true],
];

/**
 * The 34 Cityscapes labels with ids 0..33, indexed by id (pix2pixHD uses `--label_nc 35`).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { CITYSCAPES_LABELS } from "./cityscapes.ts";
 *
 * deepEqual(CITYSCAPES_LABELS[26].name, "car");
 * deepEqual(CITYSCAPES_LABELS[26].hasInstances, true);
 * ```
 */
export const CITYSCAPES_LABELS: readonly CityscapesLabel[] = TABLE.map((
  [name, r, g, b, hasInstances],
  id,
) => ({ id, name, color: [r, g, b] as const, hasInstances }));

/**
 * The label id of a Cityscapes class name.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { cityscapesId } from "./cityscapes.ts";
 *
 * deepEqual(cityscapesId("bicycle"), 33);
 * ```
 *
 * @param name A class name from {@linkcode CITYSCAPES_LABELS}.
 * @returns Its id.
 */
export function cityscapesId(name: string): number {
  const label = CITYSCAPES_LABELS.find((l) => l.name === name);
  if (!label) {
    throw new TypeError(
      `Cannot find the Cityscapes class as it is unknown: current value is ${name}`,
    );
  }
  return label.id;
}

/**
 * Writes a synthetic Cityscapes-style street dataset.
 *
 * ```sh
 * deno run -A cli/make_dataset.ts --out DIR --count N --width W --height H --seed S \
 *   [--layout aligned|cityscapes] [--phase train] [--photo_format png|jpg]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeStreetDataset } from "../lib/data/synthetic/make.ts";

const USAGE =
  `Usage: deno run -A cli/make_dataset.ts --out DIR --count N --width W --height H --seed S
  [--layout aligned|cityscapes] [--phase train] [--photo_format png|jpg]

Writes N synthetic street scenes: 8-bit label ids (*_gtFine_labelIds.png), 16-bit instance ids
(*_gtFine_instanceIds.png, e.g. 26001 for the second car) and a textured photo (*_leftImg8bit.png),
in pix2pixHD's aligned folders (<phase>_label, <phase>_inst, <phase>_img) or the Cityscapes tree.`;

function integer(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new TypeError(
      `Cannot make the dataset as --${name} is required: current value is missing`,
    );
  }
  const n = Number(value);
  if (!Number.isInteger(n)) {
    throw new TypeError(
      `Cannot make the dataset as --${name} must be an integer: current value is ${value}`,
    );
  }
  return n;
}

/** Parses the arguments and writes the dataset. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      count: { type: "string" },
      width: { type: "string" },
      height: { type: "string" },
      seed: { type: "string" },
      layout: { type: "string", default: "aligned" },
      phase: { type: "string", default: "train" },
      photo_format: { type: "string", default: "png" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.out) {
    throw new TypeError("Cannot make the dataset as --out is required: current value is missing");
  }
  const count = integer("count", values.count);
  const width = integer("width", values.width);
  const height = integer("height", values.height);
  const seed = integer("seed", values.seed, 0);
  const start = performance.now();
  await writeStreetDataset(values.out, {
    count,
    width,
    height,
    seed,
    layout: values.layout as "aligned" | "cityscapes",
    phase: values.phase,
    photoFormat: values.photo_format as "png" | "jpg",
    onScene: (i, stem) => console.log(`${i + 1}/${count} ${stem}`),
  });
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`wrote ${count} ${width}x${height} scenes to ${values.out} in ${seconds} s`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    console.error(USAGE);
    Deno.exit(1);
  }
}

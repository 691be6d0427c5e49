/**
 * Checks a dataset before training and lists every problem with its file.
 *
 * ```sh
 * deno run -A cli/check_dataset.ts --dataroot DIR --label_nc 35
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { checkDataset, type CheckReport } from "../lib/data/check.ts";
import { RESIZE_OR_CROP, type ResizeOrCrop, sizeMultiple } from "../lib/data/transform.ts";

const USAGE =
  `Usage: deno run -A cli/check_dataset.ts --dataroot DIR [--label_nc 35] [--phase train]
  [--layout auto|aligned|cityscapes] [--no_instance] [--load_features] [--use_encoded_image]
  [--resize_or_crop scale_width] [--loadSize 1024] [--fineSize 512] [--batchSize 1]
  [--netG global] [--n_downsample_global 4] [--n_local_enhancers 1]

Checks pairing, decodability, channels, sizes, label values outside 0..label_nc-1 and sizes the
generator cannot take. Photos are checked for the train phase or with --use_encoded_image.
Exits with 1 when there is any problem.`;

function integer(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new TypeError(
      `Cannot check the dataset as --${name} must be a non-negative integer: current value is ${value}`,
    );
  }
  return n;
}

/** Formats a report as lines of text. */
export function formatReport(report: CheckReport, labelNc: number): string[] {
  const lines = [`layout: ${report.layout}`, `samples: ${report.samples}`];
  const sizes = Object.entries(report.sizes).map(([size, n]) => `${size} (${n})`);
  lines.push(`sizes: ${sizes.join(", ") || "none"}`);
  if (labelNc > 0) {
    const values = report.labelCounts.flatMap((n, v) => (n > 0 ? [`${v}`] : []));
    lines.push(`label values: ${values.join(" ") || "none"}`);
  }
  lines.push(`problems: ${report.problems.length}`);
  for (const p of report.problems) lines.push(`${p.file}: ${p.message}`);
  return lines;
}

/** Parses the arguments, checks the dataset, prints the report and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      dataroot: { type: "string" },
      label_nc: { type: "string", default: "35" },
      phase: { type: "string", default: "train" },
      layout: { type: "string", default: "auto" },
      no_instance: { type: "boolean", default: false },
      load_features: { type: "boolean", default: false },
      use_encoded_image: { type: "boolean", default: false },
      resize_or_crop: { type: "string", default: "scale_width" },
      loadSize: { type: "string", default: "1024" },
      fineSize: { type: "string", default: "512" },
      batchSize: { type: "string", default: "1" },
      netG: { type: "string", default: "global" },
      n_downsample_global: { type: "string", default: "4" },
      n_local_enhancers: { type: "string", default: "1" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.dataroot) {
    throw new TypeError(
      "Cannot check the dataset as --dataroot is required: current value is missing",
    );
  }
  if (!RESIZE_OR_CROP.includes(values.resize_or_crop as ResizeOrCrop)) {
    throw new TypeError(
      `Cannot check the dataset as --resize_or_crop must be one of ${
        RESIZE_OR_CROP.join(", ")
      }: current value is ${values.resize_or_crop}`,
    );
  }
  const labelNc = integer("label_nc", values.label_nc);
  const multiple = sizeMultiple({
    netG: values.netG,
    nDownsampleGlobal: integer("n_downsample_global", values.n_downsample_global),
    nLocalEnhancers: integer("n_local_enhancers", values.n_local_enhancers),
  });
  const report = await checkDataset(values.dataroot, {
    layout: values.layout as "auto",
    phase: values.phase,
    labelNc,
    instance: !values.no_instance,
    image: values.phase === "train" || values.use_encoded_image,
    features: values.load_features,
    transform: {
      resizeOrCrop: values.resize_or_crop as ResizeOrCrop,
      loadSize: integer("loadSize", values.loadSize),
      fineSize: integer("fineSize", values.fineSize),
    },
    multiple,
    batchSize: integer("batchSize", values.batchSize),
  });
  for (const line of formatReport(report, labelNc)) console.log(line);
  return report.problems.length > 0 ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    console.error(USAGE);
    Deno.exit(2);
  }
}

/**
 * The generator a run's options describe, from the options by their flag names (`opt.json`'s
 * keys): its input channels, whether it takes instance features, and {@linkcode defineG}'s
 * options. The command line and a web page that opens a run's `opt.json` build G the same way.
 *
 * @module
 */
import { defineG } from "./networks/define_g.ts";
import type { GlobalGenerator } from "./networks/global_generator.ts";
import type { LocalEnhancer } from "./networks/local_enhancer.ts";
import type { NormType } from "./networks/norm.ts";

/** The flags that fix G's layout and input, by their names in `opt.json`. */
export interface GeneratorArchitecture {
  /** Label classes; 0 for RGB label images. */
  label_nc: number;
  /** Channels of an RGB label image (used when `label_nc` is 0). */
  input_nc: number;
  /** Channels of the photo. */
  output_nc: number;
  /** Whether G takes no instance boundary map. */
  no_instance: boolean;
  /** "global" or "local". */
  netG: string;
  /** Filters of G's last layer. */
  ngf: number;
  /** Downsamplings of the global generator. */
  n_downsample_global: number;
  /** Residual blocks of the global generator. */
  n_blocks_global: number;
  /** Local enhancers. */
  n_local_enhancers: number;
  /** Residual blocks of each local enhancer. */
  n_blocks_local: number;
  /** "instance" or "batch". */
  norm: string;
  /** Whether G takes features pooled over instances. */
  instance_feat: boolean;
  /** Whether G takes features pooled over labels. */
  label_feat: boolean;
  /** Feature channels. */
  feat_num: number;
}

/** What a field holds: a whole number, a boolean, or one of some words. */
type Field = "whole" | "boolean" | readonly string[];

/** Each field of {@linkcode GeneratorArchitecture}, in the order of the original's flags. */
const FIELDS: Readonly<Record<keyof GeneratorArchitecture, Field>> = {
  label_nc: "whole",
  input_nc: "whole",
  output_nc: "whole",
  no_instance: "boolean",
  netG: ["global", "local"],
  ngf: "whole",
  n_downsample_global: "whole",
  n_blocks_global: "whole",
  n_local_enhancers: "whole",
  n_blocks_local: "whole",
  norm: ["instance", "batch"],
  instance_feat: "boolean",
  label_feat: "boolean",
  feat_num: "whole",
};

/** The keys of {@linkcode GeneratorArchitecture}, in the order of the original's flags. */
export const GENERATOR_ARCHITECTURE_FLAGS = Object.keys(FIELDS) as readonly (
  keyof GeneratorArchitecture
)[];

/** What a value of `kind` must be, or undefined when it is so. */
function problem(kind: Field, v: unknown): string | undefined {
  if (kind === "whole") {
    return typeof v === "number" && Number.isInteger(v) && v >= 0
      ? undefined
      : "be a whole number ≥ 0";
  }
  if (kind === "boolean") return typeof v === "boolean" ? undefined : "be true or false";
  return kind.includes(v as string) ? undefined : `be one of ${kind.join(", ")}`;
}

/**
 * G's architecture from a run's options (the parsed `opt.json`), checking each field; `what`
 * names the file in errors.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { architectureOf } from "./architecture.ts";
 *
 * const opt = {
 *   label_nc: 35, input_nc: 3, output_nc: 3, no_instance: false, netG: "global", ngf: 8,
 *   n_downsample_global: 2, n_blocks_global: 1, n_local_enhancers: 1, n_blocks_local: 1,
 *   norm: "instance", instance_feat: false, label_feat: false, feat_num: 3, name: "run",
 * };
 * equal(architectureOf(opt, "opt.json").ngf, 8);
 * throws(() => architectureOf({ ...opt, netG: "big" }, "opt.json"), /netG must be one of global/);
 * throws(() => architectureOf({ ...opt, ngf: -8 }, "opt.json"), /ngf must be a whole number/);
 * throws(() => architectureOf({ ...opt, no_instance: 0 }, "opt.json"), /true or false/);
 * ```
 */
export function architectureOf(options: unknown, what: string): GeneratorArchitecture {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`Cannot read ${what} as it must hold an object of options`);
  }
  const o = options as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, kind] of Object.entries(FIELDS)) {
    const v = o[k];
    const must = problem(kind, v);
    if (must) {
      throw new TypeError(
        `Cannot read ${what} as ${k} must ${must}: current value is ${JSON.stringify(v)}`,
      );
    }
    out[k] = v;
  }
  return out as unknown as GeneratorArchitecture;
}

/** Whether G takes instance features (`--instance_feat` or `--label_feat`). */
export function usesFeatures(
  a: Pick<GeneratorArchitecture, "instance_feat" | "label_feat">,
): boolean {
  return !!(a.instance_feat || a.label_feat);
}

/** G's input channels: labels (or the input image), the boundary map, the features. */
export function generatorInputNc(a: GeneratorArchitecture): number {
  const labels = a.label_nc === 0 ? a.input_nc : a.label_nc;
  return labels + (a.no_instance ? 0 : 1) + (usesFeatures(a) ? a.feat_num : 0);
}

/** G as the architecture describes it, with pix2pixHD's initial weights from `seed`. */
export function buildGenerator(
  a: GeneratorArchitecture,
  seed: number,
): GlobalGenerator | LocalEnhancer {
  const common = {
    inputNc: generatorInputNc(a),
    outputNc: a.output_nc,
    ngf: a.ngf,
    nDownsampleGlobal: a.n_downsample_global,
    nBlocksGlobal: a.n_blocks_global,
    nLocalEnhancers: a.n_local_enhancers,
    nBlocksLocal: a.n_blocks_local,
    norm: a.norm as NormType,
    seed,
  };
  return a.netG === "local"
    ? defineG({ ...common, netG: "local" })
    : defineG({ ...common, netG: "global" });
}

/**
 * The data benchmark: samples per second of the streaming loader on 2048x1024 Cityscapes-style
 * pairs (label, 16-bit instance map, photo), with 1 and 2 workers, for pix2pixHD's 1024p
 * (`none`), 512p (`scale_width` 1024) and crop (`crop` 1024) settings. Prints one JSON line per
 * measurement: `{"name","shape","samples_per_s","workers",...}`.
 *
 * ```sh
 * deno run -A lib/data/synthetic/bench.ts [--root DIR]
 * ```
 *
 * @module
 */
import { listDataset } from "../layout.ts";
import { DataLoader } from "../loader.ts";
import { writeStreetDataset } from "./make.ts";
import type { TransformOptions } from "../transform.ts";

/** One benchmark line. */
export interface DataBenchLine {
  /** Benchmark name, `data_loader`. */
  name: string;
  /** Input size, mode and output size, e.g. `2048x1024 scale_width -> 1024x512`. */
  shape: string;
  /** Samples per second over the timed part. */
  samples_per_s: number;
  /** Worker threads. */
  workers: number;
  /** Milliseconds per sample. */
  ms_per_sample: number;
  /** Samples timed. */
  samples: number;
  /** Samples per batch. */
  batch: number;
}

/** Options of {@linkcode benchData}. */
export interface DataBenchOptions {
  /** A dataset in the aligned layout to read; generated into a temporary folder if not given. */
  root?: string;
  /** Scenes to generate when there is no `root`. Default 8. */
  count?: number;
  /** Size of the generated scenes. Default 2048x1024. */
  width?: number;
  /** Height of the generated scenes. Default 1024. */
  height?: number;
  /** Samples timed per measurement (after a warm-up batch). Default 24. */
  samples?: number;
  /** Worker counts to measure. Default [1, 2]. */
  workers?: number[];
  /** Settings to measure, by name. Default: none, scale_width, crop. */
  modes?: Record<string, TransformOptions>;
  /** Where to print the lines. Default `console.log`. */
  print?: (line: string) => void;
}

const MODES: Record<string, TransformOptions> = {
  none: { resizeOrCrop: "none", multiple: 32, flip: true },
  scale_width: { resizeOrCrop: "scale_width", loadSize: 1024, flip: true },
  crop: { resizeOrCrop: "crop", fineSize: 1024, flip: true },
};

/**
 * Times the loader and prints one JSON line per (setting, worker count).
 *
 * @example A quick run on small scenes
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { benchData } from "./bench.ts";
 *
 * const lines = await benchData({
 *   count: 2, width: 64, height: 32, samples: 4, workers: [1],
 *   modes: { none: { resizeOrCrop: "none" } }, print: () => {},
 * });
 * equal(lines[0].workers, 1);
 * ```
 *
 * @param options Data, sample count, worker counts and settings.
 * @returns The lines printed.
 */
export async function benchData(options: DataBenchOptions = {}): Promise<DataBenchLine[]> {
  const {
    count = 8,
    width = 2048,
    height = 1024,
    samples = 24,
    workers = [1, 2],
    modes = MODES,
    print = console.log,
  } = options;
  let root = options.root;
  const temporary = root === undefined;
  if (root === undefined) {
    root = await Deno.makeTempDir({ prefix: "pix2pixhd_bench_" });
    await writeStreetDataset(root, { count, width, height, seed: 1 });
  }
  const lines: DataBenchLine[] = [];
  try {
    const entries = await listDataset(root);
    for (const [mode, transform] of Object.entries(modes)) {
      for (const nThreads of workers) {
        const loader = new DataLoader(entries, { labelNc: 35, transform, nThreads, seed: 1 });
        try {
          let size = "";
          for await (const batch of loader.epoch(-1)) { // warm-up: workers start, code compiles
            size = `${batch.width}x${batch.height}`;
            break;
          }
          let done = 0;
          const start = performance.now();
          for (let epoch = 0; done < samples; epoch++) {
            for await (const batch of loader.epoch(epoch)) {
              done += batch.size;
              if (done >= samples) break;
            }
          }
          const seconds = (performance.now() - start) / 1000;
          const first = await Deno.readFile(entries[0].label);
          const inSize = `${new DataView(first.buffer).getUint32(16)}x${
            new DataView(first.buffer).getUint32(20)
          }`;
          const line: DataBenchLine = {
            name: "data_loader",
            shape: `${inSize} ${mode} -> ${size}`,
            samples_per_s: Number((done / seconds).toFixed(2)),
            workers: nThreads,
            ms_per_sample: Number(((seconds * 1000) / done).toFixed(1)),
            samples: done,
            batch: 1,
          };
          print(JSON.stringify(line));
          lines.push(line);
        } finally {
          loader.close();
        }
      }
    }
  } finally {
    if (temporary) await Deno.remove(root, { recursive: true });
  }
  return lines;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--root");
  await benchData(at >= 0 ? { root: Deno.args[at + 1] } : {});
}

/**
 * Benchmark of data-parallel training over MPI: the same small training run on 1 process and on
 * 2 ranks (`mpirun -np 2`), each line the median step after the warm-up steps, the gradient
 * averaging's share of it and the bytes each rank reduces a step. On one machine the ranks share
 * its cores (and lavapipe's threads), so the 2-rank step is no faster; the averaging's cost is
 * what the line measures.
 *
 * `deno task bench mpi` runs both; this file is also the program each rank runs.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { parseOptions } from "../../lib/app/options.ts";
import { train } from "../../lib/app/train.ts";
import type { SyncStats } from "../../lib/dist/gradients.ts";
import { initGpu } from "../../lib/gpu/kernel.ts";
import { median } from "./util.ts";

const CITY = fileURLToPath(new URL("../../fixtures/data/city", import.meta.url));
const WARMUP = 2;
const SHAPE = "128x64 global ngf 16, n_downsample 3, ndf 16, num_D 2, batch 1 a rank";

/** The run's flags: 16 scenes at 128×64, a small global G, one epoch. */
function flags(checkpoints: string): string[] {
  return [
    ...["--dataroot", CITY, "--checkpoints_dir", checkpoints, "--name", "bench"],
    ...["--loadSize", "128", "--resize_or_crop", "scale_width", "--netG", "global"],
    ...["--ngf", "16", "--n_downsample_global", "3", "--n_blocks_global", "3"],
    ...["--ndf", "16", "--num_D", "2", "--niter", "1", "--niter_decay", "0"],
    ...["--nThreads", "0", "--print_freq", "1000", "--no_vgg_loss", "--no_html"],
  ];
}

/** One rank's part: trains, and rank 0 prints the line. */
async function rank(): Promise<void> {
  const dir = Deno.args[1];
  const steps: number[] = [];
  const syncs: SyncStats[] = [];
  const result = await train(parseOptions("train", flags(dir)), {
    print: () => {},
    progress: false,
    onStep: (r) => steps.push(r.sec),
    onSync: (s) => syncs.push(s),
  });
  if (result.rank) return;
  const timed = steps.slice(WARMUP);
  const sync = syncs.slice(WARMUP);
  const ms = median(timed) * 1000;
  const syncMs = sync.length ? median(sync.map((s) => s.seconds)) * 1000 : 0;
  const reduceMs = sync.length ? median(sync.map((s) => s.reduceSeconds)) * 1000 : 0;
  console.log(JSON.stringify({
    name: "train_step.data_parallel",
    shape: SHAPE,
    ranks: syncs.length ? Number(Deno.env.get("OMPI_COMM_WORLD_SIZE")) : 1,
    ms: Number(ms.toFixed(1)),
    sync_ms: Number(syncMs.toFixed(1)),
    allreduce_ms: Number(reduceMs.toFixed(1)),
    sync_share: Number((syncMs / ms).toFixed(3)),
    bytes_per_step: sync[0]?.bytes ?? 0,
    steps: timed.length,
    mpi_yield_when_idle: Deno.env.get("OMPI_MCA_mpi_yield_when_idle") ?? null,
    adapter: (await initGpu()).gpu.adapter,
  }));
}

/**
 * Open MPI's settings for ranks on one machine: as root (containers), without the cross-memory
 * attach that containers often forbid, and yielding the core of a rank waiting in a reduction
 * instead of spinning on it, since the ranks share the cores with a CPU adapter's threads.
 */
export const ONE_MACHINE_MPI_ENV: Readonly<Record<string, string>> = {
  OMPI_ALLOW_RUN_AS_ROOT: "1",
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1",
  OMPI_MCA_btl_vader_single_copy_mechanism: "none",
  OMPI_MCA_mpi_yield_when_idle: "1",
};

/** Whether `mpirun` runs here. */
export function haveMpirun(): Promise<boolean> {
  return new Deno.Command("mpirun", { args: ["--version"], stdout: "null", stderr: "null" })
    .output().then((o) => o.success, () => false);
}

/** Runs the 1-process and 2-rank lines, relaying the JSON lines. */
export async function benchMpi(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const env = {
    PIX2PIXHD_CONV_TUNE: "off",
    ...ONE_MACHINE_MPI_ENV,
    // Set 0 to measure the spinning.
    OMPI_MCA_mpi_yield_when_idle: Deno.env.get("OMPI_MCA_mpi_yield_when_idle") ?? "1",
  };
  const mpirun = await haveMpirun();
  for (const n of [1, 2]) {
    if (n > 1 && !mpirun) {
      console.error("mpi: no mpirun (apt-get install openmpi-bin libopenmpi-dev): 2 ranks skipped");
      continue;
    }
    const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_bench_mpi_" });
    try {
      const program = [Deno.execPath(), "run", "-A", self, "--rank", dir];
      const out = await new Deno.Command(n === 1 ? program[0] : "mpirun", {
        args: n === 1 ? program.slice(1) : ["-np", String(n), ...program],
        env,
        stdout: "piped",
        stderr: "inherit",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      if (!out.success) throw new Error(`mpi bench on ${n} rank(s) failed:\n${text}`);
      for (const line of text.split("\n")) if (line.startsWith("{")) console.log(line);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
}

if (import.meta.main && Deno.args[0] === "--rank") await rank();

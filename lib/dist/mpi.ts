/**
 * MPI through `Deno.dlopen`: the few calls data-parallel training needs (rank, size, an in-place
 * all-reduce of floats, broadcast, barrier, abort), on Open MPI's C ABI (Debian's `openmpi-bin`,
 * `libopenmpi-dev`; most clusters' Open MPI). Nothing here is loaded unless a launcher
 * (`mpirun`, `srun`) started more than one process: {@linkcode launchedRanks} reads the launcher's
 * environment without touching the library.
 *
 * Without --allow-env no launcher can be seen, so the process is one.
 *
 * The collective calls run on Deno's FFI worker threads (`nonblocking`), one at a time
 * (`MPI_THREAD_SERIALIZED`), so JavaScript goes on (reading back the next bucket of gradients)
 * while a reduction is under way.
 *
 * @module
 */
import { envVar } from "../gpu/device.ts";

/** The world size the launcher's environment gives: 1 when no launcher started this process. */
export function launchedRanks(env: (name: string) => string | undefined = envVar): number {
  // Open MPI's mpirun, then MPICH's Hydra (and others speaking PMI), then Slurm's srun.
  const slurm = env("SLURM_PROCID") !== undefined ? env("SLURM_NTASKS") : undefined;
  for (
    const [name, value] of [
      ["OMPI_COMM_WORLD_SIZE", env("OMPI_COMM_WORLD_SIZE")],
      ["PMI_SIZE", env("PMI_SIZE")],
      ["SLURM_NTASKS", slurm],
    ] as const
  ) {
    if (value === undefined) continue;
    const n = Number(value);
    if (!(Number.isInteger(n) && n >= 1)) {
      throw new RangeError(
        `Cannot tell the number of processes as ${name} must be a positive integer: current value is ${
          JSON.stringify(value)
        }`,
      );
    }
    return n;
  }
  return 1;
}

const SYMBOLS = {
  MPI_Initialized: { parameters: ["buffer"], result: "i32" },
  MPI_Init_thread: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  MPI_Comm_rank: { parameters: ["pointer", "buffer"], result: "i32" },
  MPI_Comm_size: { parameters: ["pointer", "buffer"], result: "i32" },
  MPI_Allreduce: {
    parameters: ["pointer", "buffer", "i32", "pointer", "pointer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  MPI_Bcast: {
    parameters: ["buffer", "i32", "pointer", "i32", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  MPI_Barrier: { parameters: ["pointer"], result: "i32", nonblocking: true },
  MPI_Abort: { parameters: ["pointer", "i32"], result: "i32" },
  MPI_Finalize: { parameters: [], result: "i32" },
} as const;

/** Open MPI's predefined handles are the addresses of these globals. */
const HANDLES = {
  world: "ompi_mpi_comm_world",
  float: "ompi_mpi_float",
  byte: "ompi_mpi_byte",
  sum: "ompi_mpi_op_sum",
} as const;

const MPI_THREAD_SERIALIZED = 2;
const RTLD_NOW = 2;

/** Where libmpi is looked for: `PIX2PIXHD_MPI_LIB`, else the usual names. */
function libraryNames(): string[] {
  const given = envVar("PIX2PIXHD_MPI_LIB");
  if (given) return [given];
  return Deno.build.os === "darwin"
    ? ["libmpi.40.dylib", "libmpi.dylib"]
    : ["libmpi.so.40", "libmpi.so"];
}

/**
 * Loads `path` with RTLD_GLOBAL before Deno's own dlopen (Open MPI's plugins resolve libmpi's
 * symbols globally) and returns the addresses of Open MPI's predefined handles.
 */
function openGlobal(path: string): Record<keyof typeof HANDLES, Deno.PointerValue> | string {
  const libc = Deno.dlopen(Deno.build.os === "darwin" ? "libSystem.dylib" : "libc.so.6", {
    dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
    dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
    dlerror: { parameters: [], result: "pointer" },
  });
  try {
    const cstr = (s: string) => new TextEncoder().encode(`${s}\0`);
    const global = Deno.build.os === "darwin" ? 8 : 0x100;
    const handle = libc.symbols.dlopen(cstr(path), RTLD_NOW | global);
    if (!handle) {
      const error = libc.symbols.dlerror();
      return error ? new Deno.UnsafePointerView(error).getCString() : `cannot open ${path}`;
    }
    const out = {} as Record<keyof typeof HANDLES, Deno.PointerValue>;
    for (const [key, symbol] of Object.entries(HANDLES) as [keyof typeof HANDLES, string][]) {
      const address = libc.symbols.dlsym(handle, cstr(symbol));
      if (!address) {
        return `${path} has no ${symbol}: it is not Open MPI (only Open MPI's ABI is supported)`;
      }
      out[key] = address;
    }
    return out;
  } finally {
    libc.close();
  }
}

/** Data-parallel ranks over MPI's world communicator. */
export class Mpi {
  /** This process's rank, 0..size-1. */
  readonly rank: number;
  /** The number of processes. */
  readonly size: number;
  /** The library loaded. */
  readonly library: string;
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  readonly #h: Record<keyof typeof HANDLES, Deno.PointerValue>;
  /** The collective call under way; the next one starts after it (MPI_THREAD_SERIALIZED). */
  #queue: Promise<unknown> = Promise.resolve();
  #finalized = false;

  private constructor(
    lib: Deno.DynamicLibrary<typeof SYMBOLS>,
    handles: Record<keyof typeof HANDLES, Deno.PointerValue>,
    library: string,
  ) {
    this.#lib = lib;
    this.#h = handles;
    this.library = library;
    const flag = new Int32Array(1);
    this.#ok(lib.symbols.MPI_Initialized(flag), "MPI_Initialized");
    if (!flag[0]) {
      const provided = new Int32Array(1);
      this.#ok(
        lib.symbols.MPI_Init_thread(null, null, MPI_THREAD_SERIALIZED, provided),
        "MPI_Init_thread",
      );
      if (provided[0] < MPI_THREAD_SERIALIZED) {
        throw new Error(
          `Cannot use ${library} as its threads level must be at least MPI_THREAD_SERIALIZED (${MPI_THREAD_SERIALIZED}): current value is ${
            provided[0]
          }`,
        );
      }
    }
    const value = new Int32Array(1);
    this.#ok(lib.symbols.MPI_Comm_rank(handles.world, value), "MPI_Comm_rank");
    this.rank = value[0];
    this.#ok(lib.symbols.MPI_Comm_size(handles.world, value), "MPI_Comm_size");
    this.size = value[0];
  }

  /** Loads libmpi and joins the world (MPI_Init_thread); throws naming what was tried. */
  static open(): Mpi {
    const tried: string[] = [];
    for (const name of libraryNames()) {
      const handles = openGlobal(name);
      if (typeof handles === "string") {
        tried.push(handles);
        continue;
      }
      return new Mpi(Deno.dlopen(name, SYMBOLS), handles, name);
    }
    throw new Error(
      `Cannot load MPI for a launch of ${launchedRanks()} processes (install openmpi-bin and libopenmpi-dev, or set PIX2PIXHD_MPI_LIB): current value is ${
        tried.join("; ")
      }`,
    );
  }

  #ok(code: number, call: string): void {
    if (code !== 0) throw new Error(`Cannot go on as ${call} failed: current value is ${code}`);
  }

  #serial<T>(call: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(call);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Sums `data` over every rank, in place (MPI_Allreduce with MPI_IN_PLACE, MPI_SUM). */
  allreduceSum(data: Float32Array): Promise<void> {
    if (data.length > 0x7fffffff) {
      throw new RangeError(
        `Cannot reduce ${data.length} floats in one call as MPI counts are 32-bit: split it`,
      );
    }
    return this.#serial(async () => {
      const code = await this.#lib.symbols.MPI_Allreduce(
        Deno.UnsafePointer.create(1n), // MPI_IN_PLACE
        data,
        data.length,
        this.#h.float,
        this.#h.sum,
        this.#h.world,
      );
      this.#ok(code, "MPI_Allreduce");
    });
  }

  /** Copies rank `root`'s `data` to every rank (MPI_Bcast of bytes). */
  broadcast(data: Uint8Array, root = 0): Promise<void> {
    return this.#serial(async () => {
      const code = await this.#lib.symbols.MPI_Bcast(
        data,
        data.length,
        this.#h.byte,
        root,
        this.#h.world,
      );
      this.#ok(code, "MPI_Bcast");
    });
  }

  /** Waits for every rank (MPI_Barrier). */
  barrier(): Promise<void> {
    return this.#serial(async () => {
      this.#ok(await this.#lib.symbols.MPI_Barrier(this.#h.world), "MPI_Barrier");
    });
  }

  /** Ends every rank of the job at once with `code` (MPI_Abort); does not return. */
  abort(code = 1): never {
    this.#lib.symbols.MPI_Abort(this.#h.world, code);
    Deno.exit(code);
  }

  /** Leaves MPI (MPI_Finalize) after the calls under way; the last call on this object. */
  async finalize(): Promise<void> {
    if (this.#finalized) return;
    this.#finalized = true;
    await this.#queue;
    this.#ok(this.#lib.symbols.MPI_Finalize(), "MPI_Finalize");
  }
}

/** MPI's world when a launcher started more than one process, else undefined (nothing loaded). */
export function openWorld(): Mpi | undefined {
  return launchedRanks() > 1 ? Mpi.open() : undefined;
}

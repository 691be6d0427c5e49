/**
 * The streaming loader: worker threads decode and transform samples ahead of the trainer, with
 * the number of samples held bounded by the prefetch depth.
 *
 * @module
 */
import { type Batch, collate } from "./batch.ts";
import type { DatasetEntry } from "./layout.ts";
import { epochOrder, type OrderOptions } from "./order.ts";
import { mixSeed } from "./rng.ts";
import { loadSample, type Sample, type SampleOptions } from "./sample.ts";
import type { TransformOptions } from "./transform.ts";
import type { WorkerReply, WorkerRequest } from "./worker.ts";

/** Options of {@linkcode DataLoader} (pix2pixHD flags in brackets). */
export interface LoaderOptions extends OrderOptions {
  /** Label classes (`--label_nc`); 0 reads RGB label images. */
  labelNc: number;
  /** The `resize_or_crop` options. */
  transform: TransformOptions;
  /** Worker threads (`--nThreads`); 0 loads on the calling thread. Default 2. */
  nThreads?: number;
  /** Batches prepared ahead of the one being used. Default 2. */
  prefetch?: number;
}

interface Task {
  request: WorkerRequest;
  resolve: (sample: Sample) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Map<number, Task>;
}

const TASKS_PER_WORKER = 2;

const ERRORS: Record<string, new (message: string) => Error> = {
  SyntaxError,
  RangeError,
  TypeError,
  NotFound: Deno.errors.NotFound,
  PermissionDenied: Deno.errors.PermissionDenied,
};

function rebuildError(error: { name: string; message: string }): Error {
  const Class = ERRORS[error.name] ?? Error;
  const rebuilt = new Class(error.message);
  if (!(error.name in ERRORS)) rebuilt.name = error.name;
  return rebuilt;
}

/**
 * Streams batches of a dataset, epoch after epoch. Samples are loaded by `nThreads` workers,
 * at most `prefetch` batches ahead of the consumer, so at most `prefetch + 1` batches are held.
 * Each epoch is shuffled from the seed unless `serialBatches`; each sample's crop and flip come
 * from (seed, epoch, index) alone, so a run repeats exactly whatever the number of workers.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { DataLoader } from "./loader.ts";
 * import { listDataset } from "./layout.ts";
 *
 * const root = new URL("../../fixtures/data/city", import.meta.url).pathname;
 * const entries = await listDataset(root);
 * const loader = new DataLoader(entries, {
 *   labelNc: 35,
 *   transform: { resizeOrCrop: "crop", fineSize: 64, flip: true },
 *   batchSize: 4,
 *   nThreads: 1,
 *   seed: 7,
 * });
 * try {
 *   for await (const batch of loader.epoch(0)) {
 *     deepEqual([batch.size, batch.width, batch.height], [4, 64, 64]);
 *     deepEqual(batch.inst?.length, 4 * 64 * 64);
 *   }
 * } finally {
 *   loader.close();
 * }
 * ```
 */
export class DataLoader {
  #entries: DatasetEntry[];
  #options: Required<LoaderOptions>;
  #slots: Slot[] = [];
  #queue: Task[] = [];
  #nextId = 0;
  #closed = false;
  #running = false;
  #ahead = 0;

  /**
   * Creates a loader; workers start on first use.
   *
   * @param entries The samples, e.g. from {@linkcode listDataset}.
   * @param options Loading, batching and threading options.
   */
  constructor(entries: DatasetEntry[], options: LoaderOptions) {
    const {
      labelNc,
      transform,
      batchSize = 1,
      serialBatches = false,
      maxDatasetSize = Infinity,
      seed = 0,
      nThreads = 2,
      prefetch = 2,
      shard = { rank: 0, size: 1 },
    } = options;
    if (!(Number.isInteger(nThreads) && nThreads >= 0)) {
      throw new RangeError(
        `Cannot create the loader as nThreads must be a non-negative integer: current value is ${nThreads}`,
      );
    }
    if (!(Number.isInteger(prefetch) && prefetch >= 1)) {
      throw new RangeError(
        `Cannot create the loader as prefetch must be a positive integer: current value is ${prefetch}`,
      );
    }
    if (entries.length === 0) {
      throw new RangeError("Cannot create the loader as the dataset is empty: current value is 0");
    }
    epochOrder(entries.length, 0, { batchSize, maxDatasetSize, shard }); // validates the options
    this.#entries = entries;
    this.#options = {
      labelNc,
      transform,
      batchSize,
      serialBatches,
      maxDatasetSize,
      seed,
      nThreads,
      prefetch,
      shard,
    };
  }

  /** Samples per epoch (pix2pixHD's `len(data_loader)`). */
  get length(): number {
    return this.batches * this.#options.batchSize;
  }

  /** Samples requested ahead of the consumer and not yet handed out (at most prefetch * batchSize). */
  get ahead(): number {
    return this.#ahead;
  }

  /** Batches per epoch. */
  get batches(): number {
    return epochOrder(this.#entries.length, 0, this.#options).length;
  }

  /**
   * Streams the batches of one epoch. Only one epoch can stream at a time; leaving the loop early
   * discards the samples already requested.
   *
   * @param epoch The epoch number: it selects the shuffle and each sample's crop and flip.
   * @param start The first batch to give (to resume inside an epoch); those before it are not
   * loaded. Default 0.
   * @returns The batches, in order.
   */
  async *epoch(epoch: number, start = 0): AsyncGenerator<Batch, void, undefined> {
    if (this.#closed) {
      throw new TypeError(
        "Cannot stream an epoch as the loader is closed: current value is closed",
      );
    }
    if (this.#running) {
      throw new TypeError(
        "Cannot stream an epoch as another epoch of this loader is streaming: current value is 1 running",
      );
    }
    this.#running = true;
    const { batchSize, prefetch } = this.#options;
    const batches = epochOrder(this.#entries.length, epoch, this.#options);
    if (!(Number.isInteger(start) && start >= 0 && start <= batches.length)) {
      this.#running = false;
      throw new RangeError(
        `Cannot start the epoch at batch ${start} as it has ${batches.length} batches: current value is ${start}`,
      );
    }
    const order = batches.flat();
    const pending: (Promise<Sample> | undefined)[] = [];
    let requested = start * batchSize;
    let consumed = requested;
    const fill = () => {
      while (requested < order.length && requested - consumed < prefetch * batchSize) {
        const promise = this.#load(order[requested], epoch);
        promise.catch(() => {}); // observed when its batch is awaited
        pending[requested++] = promise;
      }
      this.#ahead = requested - consumed;
    };
    try {
      for (let b = start; b < batches.length; b++) {
        fill();
        const samples = await Promise.all(pending.slice(b * batchSize, (b + 1) * batchSize));
        for (let i = b * batchSize; i < (b + 1) * batchSize; i++) pending[i] = undefined;
        consumed += batchSize;
        this.#ahead = requested - consumed;
        fill();
        yield collate(samples as Sample[], batches[b]);
      }
    } finally {
      this.#running = false;
      this.#ahead = 0;
      // Requests not yet sent to a worker are dropped; those in flight finish and are discarded.
      for (const task of this.#queue.splice(0)) {
        task.reject(
          new TypeError("Cannot load the sample as its epoch ended: current value is ended"),
        );
      }
    }
  }

  /** Stops the workers; the loader cannot be used afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = new TypeError(
      "Cannot load the sample as the loader is closed: current value is closed",
    );
    for (const task of this.#queue.splice(0)) task.reject(error);
    for (const slot of this.#slots) {
      slot.worker.terminate();
      for (const task of slot.busy.values()) task.reject(error);
    }
    this.#slots = [];
  }

  #load(index: number, epoch: number): Promise<Sample> {
    const { labelNc, transform, seed, nThreads } = this.#options;
    const options: SampleOptions = { labelNc, transform, seed: mixSeed(seed, epoch, index) };
    const entry = this.#entries[index];
    if (nThreads === 0) return loadSample(entry, options);
    return new Promise<Sample>((resolve, reject) => {
      this.#queue.push({ request: { id: this.#nextId++, entry, options }, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (this.#slots.length === 0) this.#start();
    while (this.#queue.length > 0) {
      const slot = this.#slots.reduce((a, b) => (b.busy.size < a.busy.size ? b : a));
      if (slot.busy.size >= TASKS_PER_WORKER) return;
      const task = this.#queue.shift()!;
      slot.busy.set(task.request.id, task);
      slot.worker.postMessage(task.request);
    }
  }

  #start(): void {
    for (let i = 0; i < this.#options.nThreads; i++) {
      const worker = new Worker(new URL("./worker.ts", import.meta.url).href, {
        type: "module",
        name: `pix2pixhd-data-${i}`,
      });
      const slot: Slot = { worker, busy: new Map() };
      worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const { id, sample, error } = event.data;
        const task = slot.busy.get(id);
        if (!task) return;
        slot.busy.delete(id);
        if (error) task.reject(rebuildError(error));
        else task.resolve(sample!);
        if (!this.#closed) this.#dispatch();
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        const error = new Error(
          `Cannot run data worker ${i} as it failed: current value is ${event.message}`,
        );
        for (const task of slot.busy.values()) task.reject(error);
        slot.busy.clear();
        this.close();
      };
      this.#slots.push(slot);
    }
  }
}

/**
 * The training log of a run folder: `loss_log.txt` as pix2pixHD's visualizer appends it,
 * `loss_log.jsonl` with one record a printed step, and the progress bar on stderr.
 *
 * @module
 */
import { join } from "node:path";
import { LOSS_NAMES, type Losses } from "../pix2pixhd/trainer.ts";
import { writeTextAtomic } from "./checkpoints.ts";
import { fmtTime } from "../io/progress.ts";

/** One line of `loss_log.jsonl`. */
export interface LossRecord extends Losses {
  /** The epoch (1-based). */
  epoch: number;
  /** Images done in the epoch. */
  iter: number;
  /** Images done since the start. */
  step: number;
  /** The learning rate of this step. */
  lr: number;
  /** Seconds per image of this step. */
  sec: number;
}

/** `(epoch: E, iters: I, time: T) G_GAN: x ...` as pix2pixHD prints it (zero losses left out). */
export function lossLine(epoch: number, iter: number, sec: number, losses: Losses): string {
  let line = `(epoch: ${epoch}, iters: ${iter}, time: ${sec.toFixed(3)}) `;
  for (const k of LOSS_NAMES) if (losses[k] !== 0) line += `${k}: ${losses[k].toFixed(3)} `;
  return line;
}

/** Options of {@linkcode TrainLog.open}. */
export interface TrainLogOptions {
  /** Where messages go. */
  print: (line: string) => void;
  /** Whether to draw the progress bar on stderr. */
  bar: boolean;
  /** When resuming: the images done, whose records `loss_log.jsonl` keeps (the rest is dropped). */
  resumeAt?: number;
}

/** Where training stands, for the progress bar. */
export interface BarState {
  /** The run's last epoch. */
  nEpochs: number;
  /** Images an epoch. */
  datasetSize: number;
  /** Mean seconds per image so far. */
  perImage: number;
}

/**
 * A run's training log. Opening it reads what a resumed run logged; {@linkcode TrainLog.begin}
 * writes into the run folder, once every check has passed.
 */
export class TrainLog {
  /** The records logged so far, those of the resumed part first. */
  readonly records: LossRecord[];
  readonly #txt: string;
  readonly #jsonl: string;
  readonly #print: (line: string) => void;
  readonly #bar: boolean;

  private constructor(dir: string, records: LossRecord[], options: TrainLogOptions) {
    this.records = records;
    this.#txt = join(dir, "loss_log.txt");
    this.#jsonl = join(dir, "loss_log.jsonl");
    this.#print = options.print;
    this.#bar = options.bar;
  }

  /** The log of the run in `dir`, with the records of `loss_log.jsonl` up to the resume point. */
  static async open(dir: string, options: TrainLogOptions): Promise<TrainLog> {
    const records = options.resumeAt === undefined
      ? []
      : await readLossLog(join(dir, "loss_log.jsonl"), options.resumeAt, options.print);
    return new TrainLog(dir, records, options);
  }

  /**
   * Rewrites `loss_log.jsonl` with the resumed part's records and appends the header of a
   * training session to `loss_log.txt`, as pix2pixHD does.
   */
  async begin(): Promise<void> {
    await writeTextAtomic(this.#jsonl, this.records.map((r) => JSON.stringify(r) + "\n").join(""));
    await Deno.writeTextFile(
      this.#txt,
      `================ Training Loss (${new Date().toString()}) ================\n`,
      { append: true },
    );
  }

  /** Prints `line`, clearing the progress bar first. */
  say(line: string): void {
    this.clearBar();
    this.#print(line);
  }

  /** Prints a step's losses and appends them to both log files. */
  async add(record: LossRecord): Promise<void> {
    this.records.push(record);
    const line = lossLine(record.epoch, record.iter, record.sec, record);
    this.say(line);
    await Deno.writeTextFile(this.#txt, line + "\n", { append: true });
    await Deno.writeTextFile(this.#jsonl, JSON.stringify(record) + "\n", { append: true });
  }

  /** Redraws the progress bar after the step of `record`: the epoch's images, speed, ETA, losses. */
  drawBar(record: LossRecord, { nEpochs, datasetSize, perImage }: BarState): void {
    if (!this.#bar) return;
    const { epoch, iter } = record;
    const left = (nEpochs - epoch) * datasetSize + (datasetSize - iter);
    const done = Math.round(20 * iter / datasetSize);
    const text = `\repoch ${epoch}/${nEpochs} [${"#".repeat(done)}${
      "-".repeat(20 - done)
    }] ${iter}/${datasetSize} ${perImage.toFixed(2)} s/img ETA ${fmtTime(left * perImage)} ${
      LOSS_NAMES.map((k) => `${k} ${record[k].toFixed(3)}`).join(" ")
    }`;
    Deno.stderr.writeSync(new TextEncoder().encode(text));
  }

  /** Clears the progress bar's line. */
  clearBar(): void {
    if (this.#bar) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
  }
}

/**
 * Reads `loss_log.jsonl` up to `step` images. A last line cut off by a stopped run is dropped,
 * with a note; any other line that is not JSON is an error naming the file and the line.
 */
async function readLossLog(
  path: string,
  step: number,
  print: (line: string) => void,
): Promise<LossRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const lines = text.split("\n");
  const records: LossRecord[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    let record: LossRecord;
    try {
      record = JSON.parse(line);
    } catch {
      const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line;
      if (i === lines.length - 1) {
        print(`note: dropped the last line of ${path}, cut off when the run stopped: '${shown}'`);
        continue;
      }
      throw new SyntaxError(
        `Cannot resume from ${path} as line ${
          i + 1
        } is not a JSON record: current value is '${shown}'`,
      );
    }
    if (record.step <= step) records.push(record);
  }
  return records;
}

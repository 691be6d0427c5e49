/**
 * A progress line for long jobs (testing, encoding, a download): how much is done of how much,
 * the rate and the time left, redrawn in place on stderr. It is drawn only where asked (by
 * default when stderr is a terminal), so logs and pipes stay clean.
 *
 * @module
 */

/** `h:mm:ss`, or `m:ss` under an hour; `?` when not finite. */
export function fmtTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Options of {@linkcode ProgressLine}. */
export interface ProgressOptions {
  /** What is being done ("test", "VGG19 download"). */
  label: string;
  /** The amount of work in all; null when unknown (a download without a length). */
  total: number | null;
  /** `images` (counted one by one) or `bytes` (shown in MB). Default `images`. */
  unit?: "images" | "bytes";
  /** Whether to draw (default: when stderr is a terminal). */
  enabled?: boolean;
  /** Where the text goes (default: stderr). */
  write?: (text: string) => void;
  /** The clock in ms (default `performance.now`). */
  now?: () => number;
}

/** The least time between two redraws. */
const REDRAW_MS = 200;

/** A progress line: {@linkcode ProgressLine.update} after each piece of work, `end` when done. */
export class ProgressLine {
  readonly #o: Required<Omit<ProgressOptions, "total">> & { total: number | null };
  readonly #start: number;
  #drawn = -Infinity;

  /** A progress line starting now. */
  constructor(options: ProgressOptions) {
    const stderr = (text: string) => void Deno.stderr.writeSync(new TextEncoder().encode(text));
    this.#o = {
      label: options.label,
      total: options.total,
      unit: options.unit ?? "images",
      enabled: options.enabled ?? Deno.stderr.isTerminal(),
      write: options.write ?? stderr,
      now: options.now ?? (() => performance.now()),
    };
    this.#start = this.#o.now();
  }

  /** The line for `done` pieces of work at time `now`. */
  text(done: number, now = this.#o.now()): string {
    const { label, total, unit } = this.#o;
    const seconds = Math.max(1e-9, (now - this.#start) / 1000);
    const bytes = unit === "bytes";
    const amount = (v: number) => (bytes ? (v / 1e6).toFixed(1) : String(v));
    const what = bytes ? " MB" : ` ${unit}`;
    const parts = [label];
    if (total !== null && total > 0) {
      const filled = Math.min(20, Math.round((20 * done) / total));
      parts.push(`[${"#".repeat(filled)}${"-".repeat(20 - filled)}]`);
      parts.push(`${amount(done)}/${amount(total)}${what},`);
    } else parts.push(`${amount(done)}${what},`);
    const rate = bytes
      ? `${(done / 1e6 / seconds).toFixed(1)} MB/s`
      : `${done > 0 ? (seconds / done).toFixed(2) : "?"} s/image`;
    if (total !== null && total > 0) {
      const perSecond = done / seconds;
      parts.push(
        `${rate},`,
        `ETA ${fmtTime(perSecond > 0 ? (total - done) / perSecond : Infinity)}`,
      );
    } else parts.push(rate);
    return parts.join(" ");
  }

  /** Redraws the line (at most every 200 ms, and always for the last piece). */
  update(done: number): void {
    if (!this.#o.enabled) return;
    const now = this.#o.now();
    if (now - this.#drawn < REDRAW_MS && done !== this.#o.total) return;
    this.#drawn = now;
    this.#o.write(`\r${this.text(done, now)}\x1b[K`);
  }

  /** Clears the line. */
  end(): void {
    if (this.#o.enabled) this.#o.write("\r\x1b[K");
  }
}

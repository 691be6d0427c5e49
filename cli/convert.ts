/**
 * Converts checkpoints between PyTorch's `.pth` (either `torch.save` format) and `.safetensors`,
 * both ways, or lists what a checkpoint holds.
 *
 * ```sh
 * deno run -A cli/convert.ts IN OUT [--tensors_only]
 * deno run -A cli/convert.ts --list IN
 * ```
 *
 * A usage error prints the message and the usage; any other error only its message. Both exit
 * with status 1.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Checkpoint, formatOfPath, openCheckpoint, saveCheckpoint } from "../lib/io/mod.ts";
import { pyRepr } from "../lib/io/py_repr.ts";

const USAGE = `Usage: deno run -A cli/convert.ts IN OUT [--tensors_only]
       deno run -A cli/convert.ts --list IN

Converts a checkpoint: IN is a .pth in torch.save's zip or legacy format, or a .safetensors file
(told apart by its bytes); OUT's extension chooses what is written: .safetensors, or .pth/.pt/.bin
in torch.save's zip format, which torch.load(path, weights_only=True) reads. Tensors are read one
at a time and copied bit for bit; nothing in IN is ever executed.

  --list          print every tensor key with its dtype and shape (and any other value)
  --tensors_only  drop what OUT cannot hold (a .pth's non-tensor values such as an epoch
                  number, safetensors metadata going to .pth) instead of failing; each dropped
                  key is printed`;

/** What one conversion did. */
export interface ConvertSummary {
  /** Tensors written. */
  tensors: number;
  /** Keys left out because OUT cannot hold them (with `--tensors_only`). */
  dropped: string[];
}

/** Keys are padded to the longest, up to this many characters; longer ones are not aligned. */
const KEY_WIDTH = 80;
/** Each value and metadata string is cut after this many characters, with `...`. */
const VALUE_WIDTH = 200;

function listing(checkpoint: Checkpoint): string[] {
  const lines: string[] = [];
  let width = 0;
  for (const keys of [checkpoint.tensors.keys(), checkpoint.values.keys()]) {
    for (const key of keys) width = Math.min(KEY_WIDTH, Math.max(width, key.length));
  }
  let elements = 0;
  for (const [key, tensor] of checkpoint.tensors) {
    elements += tensor.shape.reduce((a, b) => a * b, 1);
    lines.push(`${key.padEnd(width)}  ${tensor.dtype.padEnd(8)}  [${tensor.shape.join(", ")}]`);
  }
  for (const [key, value] of checkpoint.values) {
    lines.push(`${key.padEnd(width)}  value     ${pyRepr(value, VALUE_WIDTH)}`);
  }
  for (const [key, value] of Object.entries(checkpoint.metadata)) {
    const text = value.length > VALUE_WIDTH
      ? `${JSON.stringify(value.slice(0, VALUE_WIDTH)).slice(0, -1)}..."`
      : JSON.stringify(value);
    lines.push(`__metadata__.${key} = ${text}`);
  }
  lines.push(
    `${checkpoint.path}: ${checkpoint.format}, ${checkpoint.tensors.size} tensors, ${elements} elements`,
  );
  return lines;
}

/** Converts `input` to `output`, refusing to drop anything unless `tensorsOnly`. */
export async function convert(
  input: string,
  output: string,
  tensorsOnly: boolean,
): Promise<ConvertSummary> {
  const format = formatOfPath(output);
  using checkpoint = await openCheckpoint(input);
  const dropped = [...checkpoint.values.keys()];
  const metadata = Object.keys(checkpoint.metadata).length > 0 ? checkpoint.metadata : undefined;
  if (format !== "safetensors" && metadata) {
    for (const key of Object.keys(metadata)) dropped.push(`__metadata__.${key}`);
  }
  if (dropped.length > 0 && !tensorsOnly) {
    throw new TypeError(
      `Cannot convert '${input}' to '${output}' as it holds values that are not tensors (pass --tensors_only to drop them): current value is ${
        dropped.join(", ")
      }`,
    );
  }
  await saveCheckpoint(output, checkpoint.tensors, {
    format,
    metadata: format === "safetensors" ? metadata : undefined,
  });
  return { tensors: checkpoint.tensors.size, dropped };
}

/** What the command line asks for. */
export type ConvertCommand =
  | { kind: "help" }
  | { kind: "list"; input: string }
  | { kind: "convert"; input: string; output: string; tensorsOnly: boolean };

/**
 * Parses the arguments; a usage error (an unknown flag, a wrong number of files, an OUT of no
 * known format) throws, before any file is opened.
 *
 * @example Usage
 * ```ts
 * import { parseConvertArgs } from "./convert.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 *
 * deepEqual(parseConvertArgs(["--list", "a.pth"]), { kind: "list", input: "a.pth" });
 * throws(() => parseConvertArgs(["a.pth", "b.onnx"]), /extension is not .pth/);
 * ```
 */
export function parseConvertArgs(args: string[]): ConvertCommand {
  const { values, positionals } = parseArgs({
    args,
    options: {
      list: { type: "boolean" },
      tensors_only: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { kind: "help" };
  if (values.list) {
    if (positionals.length !== 1 || values.tensors_only) {
      throw new TypeError(
        `Cannot list as --list takes one file and no other option: current value is ${
          JSON.stringify(args)
        }`,
      );
    }
    return { kind: "list", input: positionals[0] };
  }
  if (positionals.length !== 2) {
    throw new TypeError(
      `Cannot convert as IN and OUT are both needed: current value is ${
        JSON.stringify(positionals)
      }`,
    );
  }
  const [input, output] = positionals;
  formatOfPath(output);
  return { kind: "convert", input, output, tensorsOnly: values.tensors_only ?? false };
}

/**
 * Lists or converts as `command` says; each line of output goes to `print`. A file error throws
 * with the file named.
 *
 * @example Usage
 * ```ts
 * import { runConvert } from "./convert.ts";
 * import { ok, rejects } from "node:assert/strict";
 *
 * const lines: string[] = [];
 * await runConvert({ kind: "help" }, (line) => lines.push(line));
 * ok(lines[0].startsWith("Usage:"));
 * await rejects(runConvert({ kind: "list", input: "missing.pth" }), Deno.errors.NotFound);
 * ```
 */
export async function runConvert(
  command: ConvertCommand,
  print: (line: string) => void = console.log,
): Promise<void> {
  if (command.kind === "help") {
    print(USAGE);
    return;
  }
  if (command.kind === "list") {
    using checkpoint = await openCheckpoint(command.input);
    for (const line of listing(checkpoint)) print(line);
    return;
  }
  const { input, output } = command;
  const start = performance.now();
  const { tensors, dropped } = await convert(input, output, command.tensorsOnly);
  for (const key of dropped) print(`dropped ${key}`);
  const seconds = ((performance.now() - start) / 1000).toFixed(2);
  print(`converted ${input} to ${output}: ${tensors} tensors in ${seconds} s`);
}

/** Parses the arguments and lists or converts; each line of output goes to `print`. */
export async function main(
  args: string[],
  print: (line: string) => void = console.log,
): Promise<void> {
  await runConvert(parseConvertArgs(args), print);
}

/** Prints an error as `Name: message`, on one line. */
function report(error: unknown): void {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
}

if (import.meta.main) {
  let command: ConvertCommand;
  try {
    command = parseConvertArgs(Deno.args);
  } catch (error) {
    report(error);
    console.error(USAGE);
    Deno.exit(1);
  }
  try {
    await runConvert(command);
  } catch (error) {
    report(error);
    Deno.exit(1);
  }
}

/**
 * Converts checkpoints between PyTorch's `.pth` (either `torch.save` format) and `.safetensors`,
 * both ways, or lists what a checkpoint holds.
 *
 * ```sh
 * deno run -A cli/convert.ts IN OUT [--tensors-only]
 * deno run -A cli/convert.ts --list IN
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Checkpoint, formatOfPath, openCheckpoint, saveCheckpoint } from "../lib/io/mod.ts";

const USAGE = `Usage: deno run -A cli/convert.ts IN OUT [--tensors-only]
       deno run -A cli/convert.ts --list IN

Converts a checkpoint: IN is a .pth in torch.save's zip or legacy format, or a .safetensors file
(told apart by its bytes); OUT's extension chooses what is written: .safetensors, or .pth/.pt/.bin
in torch.save's zip format, which torch.load(path, weights_only=True) reads. Tensors are read one
at a time and copied bit for bit; nothing in IN is ever executed.

  --list          print every tensor key with its dtype and shape (and any other value)
  --tensors-only  drop what OUT cannot hold (a .pth's non-tensor values such as an epoch
                  number, safetensors metadata going to .pth) instead of failing; each dropped
                  key is printed`;

/** What one conversion did. */
export interface ConvertSummary {
  /** Tensors written. */
  tensors: number;
  /** Keys left out because OUT cannot hold them (with `--tensors-only`). */
  dropped: string[];
}

function listing(checkpoint: Checkpoint): string[] {
  const lines: string[] = [];
  const width = Math.max(0, ...checkpoint.keys().map((k) => k.length));
  let elements = 0;
  for (const [key, tensor] of checkpoint.tensors) {
    elements += tensor.shape.reduce((a, b) => a * b, 1);
    lines.push(`${key.padEnd(width)}  ${tensor.dtype.padEnd(8)}  [${tensor.shape.join(", ")}]`);
  }
  for (const [key, value] of checkpoint.values) {
    lines.push(
      `${key.padEnd(width)}  value     ${
        JSON.stringify(value, (_, v) => typeof v === "bigint" ? `${v}` : v)
      }`,
    );
  }
  for (const [key, value] of Object.entries(checkpoint.metadata)) {
    lines.push(`__metadata__.${key} = ${JSON.stringify(value)}`);
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
    dropped.push(...Object.keys(metadata).map((k) => `__metadata__.${k}`));
  }
  if (dropped.length > 0 && !tensorsOnly) {
    throw new TypeError(
      `Cannot convert '${input}' to '${output}' as it holds values that are not tensors (pass --tensors-only to drop them): current value is ${
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

/** Parses the arguments and lists or converts; each line of output goes to `print`. */
export async function main(
  args: string[],
  print: (line: string) => void = console.log,
): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      list: { type: "boolean" },
      "tensors-only": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    print(USAGE);
    return;
  }
  if (values.list) {
    if (positionals.length !== 1 || values["tensors-only"]) {
      throw new TypeError(
        `Cannot list as --list takes one file and no other option: current value is ${
          JSON.stringify(args)
        }`,
      );
    }
    using checkpoint = await openCheckpoint(positionals[0]);
    for (const line of listing(checkpoint)) print(line);
    return;
  }
  if (positionals.length !== 2) {
    throw new TypeError(
      `Cannot convert as IN and OUT are both needed: current value is ${
        JSON.stringify(positionals)
      }`,
    );
  }
  const [input, output] = positionals;
  const start = performance.now();
  const { tensors, dropped } = await convert(input, output, values["tensors-only"] ?? false);
  for (const key of dropped) print(`dropped ${key}`);
  const seconds = ((performance.now() - start) / 1000).toFixed(2);
  print(`converted ${input} to ${output}: ${tensors} tensors in ${seconds} s`);
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

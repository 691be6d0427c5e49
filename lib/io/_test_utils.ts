/**
 * Helpers for the tests of lib/io: where the fixtures and the golden files are, hex dumps, and a
 * Python with PyTorch when one is installed.
 *
 * @module
 */
import { deepEqual, equal } from "node:assert/strict";
import type { Checkpoint } from "./checkpoint.ts";
import { bytesOf } from "./dtype.ts";
import type { TensorData } from "./tensor_data.ts";

/** Path of a file in fixtures/io. */
export function fixture(name: string): string {
  return decodeURIComponent(new URL(`../../fixtures/io/${name}`, import.meta.url).pathname);
}

/**
 * The golden directory: `$PIX2PIXHD_SHARED/golden`, else `shared/golden` beside the repository;
 * undefined (with a message) when it is absent.
 */
export function goldenDir(): string | undefined {
  const shared = Deno.env.get("PIX2PIXHD_SHARED") ??
    decodeURIComponent(new URL("../../../shared/", import.meta.url).pathname);
  const dir = `${shared.replace(/\/$/, "")}/golden`;
  try {
    Deno.statSync(`${dir}/tiny/manifest.json`);
    return dir;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.warn(
      `golden files not found at ${dir}: their tests are skipped (set PIX2PIXHD_SHARED)`,
    );
    return undefined;
  }
}

/** The bytes of a tensor's data as hex, as fixtures/io/expected.json writes them. */
export function hexOf(tensor: TensorData): string {
  return [...bytesOf(tensor.data)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A tensor's data as a plain array of bytes, for bit-exact comparisons. */
export function bitsOf(tensor: TensorData): Uint8Array {
  return bytesOf(tensor.data).slice();
}

let python: Promise<string | undefined> | undefined;

/**
 * A Python that imports torch (`$PIX2PIXHD_PYTHON`, `python3` or `/usr/bin/python3`), or
 * undefined with a message saying the PyTorch checks are skipped.
 */
export function torchPython(): Promise<string | undefined> {
  python ??= (async () => {
    const candidates = [Deno.env.get("PIX2PIXHD_PYTHON"), "python3", "/usr/bin/python3"];
    for (const candidate of candidates) {
      if (!candidate) continue;
      const ok = await new Deno.Command(candidate, {
        // find_spec looks for torch without the seconds that importing it takes.
        args: [
          "-c",
          "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)",
        ],
        stdout: "null",
        stderr: "null",
      }).output().then((r) => r.success, () => false);
      if (ok) return candidate;
    }
    console.warn(
      "python3 -c 'import torch' fails: the checks that PyTorch reads our files are skipped",
    );
    return undefined;
  })();
  return python;
}

/** Runs a Python script with `python`, returning its stdout; throws with its stderr on failure. */
export async function runPython(python: string, script: string, args: string[]): Promise<string> {
  const result = await new Deno.Command(python, { args: ["-c", script, ...args] }).output();
  const text = new TextDecoder();
  if (!result.success) throw new Error(`python failed:\n${text.decode(result.stderr)}`);
  return text.decode(result.stdout);
}

/** What fixtures/io/expected.json records for one fixture file. */
export interface ExpectedFile {
  tensors: Record<string, { dtype: string; shape: number[]; hex: string }>;
  values: Record<string, unknown>;
  metadata?: Record<string, string>;
}

/** fixtures/io/expected.json: what PyTorch itself read from each fixture file. */
export async function expectedFixtures(): Promise<Record<string, ExpectedFile>> {
  return JSON.parse(await Deno.readTextFile(fixture("expected.json")));
}

/** Checks every key, dtype, shape, byte and non-tensor value against what PyTorch read. */
export async function assertMatches(checkpoint: Checkpoint, expected: ExpectedFile): Promise<void> {
  deepEqual(checkpoint.keys(), Object.keys(expected.tensors));
  for (const [key, want] of Object.entries(expected.tensors)) {
    const lazy = checkpoint.tensors.get(key)!;
    equal(lazy.dtype, want.dtype, key);
    deepEqual(lazy.shape, want.shape, key);
    const tensor = await checkpoint.read(key);
    equal(tensor.dtype, want.dtype, key);
    deepEqual(tensor.shape, want.shape, key);
    equal(hexOf(tensor), want.hex, key);
  }
  deepEqual(Object.fromEntries(checkpoint.values), expected.values);
}

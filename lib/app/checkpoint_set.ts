/**
 * Saving a set of files (a checkpoint's networks, its training state and `iter.txt`) so that
 * a process killed at any moment leaves either the whole old set or the whole new one.
 *
 * Each file is first written completely beside its target as `<name>.next`. Then a commit
 * record, `<label>.commit.json`, names the set; once it exists the set is committed, and each
 * `.next` file is renamed over its target before the record is removed. Opening a run again
 * ({@linkcode recoverSets}) finishes the renames of a committed set, and removes `.next` files
 * that no record names (a save that was cut off: the old set is still whole) and the temporary
 * files of cut-off writes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { writeOutputFile } from "../io/output_file.ts";

/** One file of a set. */
export interface SetFile {
  /** Its name in the run folder, such as `latest_net_G.pth`. */
  name: string;
  /** Writes the file completely at `path` (a temporary name beside the target). */
  write(path: string): Promise<void>;
}

/** Suffix of a set's files while they are written. */
const STAGED = ".next";
/** Suffix of a commit record. */
const COMMIT = ".commit.json";
/** What `writeOutputFile` names its temporary files: `<target>.partial-<pid>-<id>`. */
const PARTIAL = /\.partial-\d+-[0-9a-f]{8}$/;

/**
 * Writes `files` into `dir` as one set: after a kill at any moment, the folder holds either
 * every old file or every new one, once {@linkcode recoverSets} has run.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { saveSet } from "./checkpoint_set.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const text = (s: string) => (path: string) => Deno.writeTextFile(path, s);
 * await saveSet(dir, "latest", [{ name: "a.txt", write: text("1") }, { name: "b.txt", write: text("2") }]);
 * equal(await Deno.readTextFile(`${dir}/b.txt`), "2");
 * ```
 */
export async function saveSet(
  dir: string,
  label: string,
  files: readonly SetFile[],
): Promise<void> {
  for (const file of files) await file.write(join(dir, file.name + STAGED));
  const record = join(dir, label + COMMIT);
  const names = files.map((f) => f.name);
  await writeOutputFile(record, async (write) => {
    await write(new TextEncoder().encode(JSON.stringify({ files: names }) + "\n"));
  });
  await finish(dir, names);
  await Deno.remove(record);
}

async function finish(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    try {
      await Deno.rename(join(dir, name + STAGED), join(dir, name));
    } catch (error) {
      // Already renamed before the process stopped.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

async function readRecord(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path);
  let names: unknown;
  try {
    names = JSON.parse(text).files;
  } catch {
    names = undefined;
  }
  if (
    !Array.isArray(names) ||
    !names.every((n) => typeof n === "string" && n !== "" && n === basename(n))
  ) {
    throw new SyntaxError(
      `Cannot complete the checkpoint save that ${path} records as it must list file names: current value is '${text.trim()}'`,
    );
  }
  return names;
}

/**
 * Brings `dir` back to whole sets after a process stopped while saving: finishes committed
 * sets, removes `.next` files of uncommitted ones and temporary files of cut-off writes.
 * Returns one line per thing it did, for the user.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { recoverSets } from "./checkpoint_set.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt.next`, "cut off before its commit record");
 * deepEqual((await recoverSets(dir)).length, 1);
 * ```
 */
export async function recoverSets(dir: string): Promise<string[]> {
  const notes: string[] = [];
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  names.sort();
  for (const name of names.filter((n) => n.endsWith(COMMIT))) {
    const record = join(dir, name);
    const files = await readRecord(record);
    await finish(dir, files);
    await Deno.remove(record);
    notes.push(
      `completed the save of ${files.join(", ")} in ${dir}, which had stopped after its commit`,
    );
  }
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith(STAGED) && (await exists(path))) {
      await Deno.remove(path);
      notes.push(`removed ${path}, left by a save that stopped before its commit`);
    } else if (PARTIAL.test(name)) {
      await Deno.remove(path);
      notes.push(`removed ${path}, left by a write that stopped`);
    }
  }
  return notes;
}

/** Whether `path` exists; errors other than its absence are thrown. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A file's size and SHA-256 (hex), read in chunks. */
export interface FileDigest {
  size: number;
  sha256: string;
}

/**
 * The size and SHA-256 of the file at `path`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { fileDigest } from "./checkpoint_set.ts";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "abc");
 * equal((await fileDigest(path)).sha256.slice(0, 8), "ba7816bf");
 * ```
 */
export async function fileDigest(path: string): Promise<FileDigest> {
  const hash = createHash("sha256");
  let size = 0;
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 20);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
    size += n;
  }
  return { size, sha256: hash.digest("hex") };
}

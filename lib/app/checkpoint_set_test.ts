import { deepEqual, equal, match, rejects } from "node:assert/strict";
import { join } from "node:path";
import { fileDigest, recoverSets, saveSet, type SetFile } from "./checkpoint_set.ts";

const text = (name: string, s: string): SetFile => ({
  name,
  write: (path) => Deno.writeTextFile(path, s),
});

async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) out[e.name] = await Deno.readTextFile(join(dir, e.name));
  return out;
}

Deno.test("saveSet replaces every file of the set and leaves nothing else behind", async () => {
  const dir = await Deno.makeTempDir();
  await saveSet(dir, "latest", [text("a", "1"), text("b", "1")]);
  await saveSet(dir, "latest", [text("a", "2"), text("b", "2")]);
  deepEqual(await contents(dir), { a: "2", b: "2" });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saveSet: a failed write leaves the old set whole, and recovery drops the new files", async () => {
  const dir = await Deno.makeTempDir();
  await saveSet(dir, "latest", [text("a", "1"), text("b", "1")]);
  const failing: SetFile = { name: "b", write: () => Promise.reject(new Error("disk gone")) };
  await rejects(saveSet(dir, "latest", [text("a", "2"), failing]), /disk gone/);
  deepEqual(await contents(dir), { a: "1", b: "1", "a.next": "2" });
  deepEqual(await recoverSets(dir), [
    `removed ${join(dir, "a.next")}, left by a save that stopped before its commit`,
  ]);
  deepEqual(await contents(dir), { a: "1", b: "1" });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("recoverSets finishes a set committed but cut off during its renames", async () => {
  const dir = await Deno.makeTempDir();
  // As a process killed after renaming a but before b leaves it.
  await Deno.writeTextFile(join(dir, "a"), "2");
  await Deno.writeTextFile(join(dir, "b"), "1");
  await Deno.writeTextFile(join(dir, "b.next"), "2");
  await Deno.writeTextFile(join(dir, "latest.commit.json"), JSON.stringify({ files: ["a", "b"] }));
  await Deno.writeTextFile(join(dir, "c.partial-123-0badf00d"), "cut off");
  const notes = await recoverSets(dir);
  match(notes[0], /^completed the save of a, b in .*, which had stopped after its commit$/);
  match(notes[1], /removed .*c\.partial-123-0badf00d, left by a write that stopped/);
  deepEqual(await contents(dir), { a: "2", b: "2" });
  deepEqual(await recoverSets(dir), [], "a whole folder needs nothing");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("recoverSets refuses a commit record that does not list file names", async () => {
  const dir = await Deno.makeTempDir();
  for (const files of [["../x"], "a", [1]]) {
    await Deno.writeTextFile(join(dir, "latest.commit.json"), JSON.stringify({ files }));
    await rejects(
      recoverSets(dir),
      new RegExp(`Cannot complete the checkpoint save that .*latest\\.commit\\.json records`),
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fileDigest: size and SHA-256 of files larger than one read", async () => {
  const path = await Deno.makeTempFile();
  const bytes = new Uint8Array(3 << 20).map((_, i) => i * 7);
  await Deno.writeFile(path, bytes);
  const want = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const { size, sha256 } = await fileDigest(path);
  equal(size, bytes.length);
  equal(sha256, [...want].map((b) => b.toString(16).padStart(2, "0")).join(""));
  await Deno.remove(path);
});

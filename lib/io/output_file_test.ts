import { deepEqual, equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { writeOutputFile } from "./output_file.ts";
import { saveCheckpoint } from "./save_checkpoint.ts";

/**
 * Runs `fn` with a 64 KiB tmpfs mounted on a new folder (root only). Where it cannot be
 * mounted the test is skipped with a message, except in CI, where that is a failure.
 */
async function withFullDisk(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pix2pixhd_full_" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
    stderr: "piped",
  }).output().catch((error) => ({ success: false, stderr: new TextEncoder().encode(`${error}`) }));
  if (!mount.success) {
    await Deno.remove(dir);
    const why = new TextDecoder().decode(mount.stderr).trim();
    if (Deno.env.get("CI")) throw new Error(`Cannot mount a small tmpfs in CI: ${why}`);
    console.log(`skipped: a small tmpfs cannot be mounted here (${why})`);
    return;
  }
  try {
    await fn(dir);
  } finally {
    await new Deno.Command("umount", { args: [dir] }).output();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writeOutputFile: a full disk is reported naming the file, and nothing is left", async () => {
  await withFullDisk(async (dir) => {
    const path = join(dir, "latest_net_G.pth");
    const w = { dtype: "float32", shape: [256, 256], data: new Float32Array(65536) } as const;
    await rejects(
      saveCheckpoint(path, [["w", w]]),
      (e: Error & { code?: string }) =>
        e.message.startsWith(`Cannot write ${path} as the disk is full: No space left on device`) &&
        e.code === "ENOSPC",
    );
    deepEqual([...Deno.readDirSync(dir)], [], "no partial file is left");
    // A file that fits is written whole.
    await writeOutputFile(join(dir, "small"), (write) => write(new Uint8Array(100).fill(3)));
    equal((await Deno.readFile(join(dir, "small"))).length, 100);
  });
});

Deno.test("writeOutputFile: a missing folder is reported naming the file, with its error class", async () => {
  const path = join(await Deno.makeTempDir(), "no", "such", "file.pth");
  await rejects(
    writeOutputFile(path, (write) => write(new Uint8Array(1))),
    (e: Error) => e instanceof Deno.errors.NotFound && e.message.startsWith(`Cannot write ${path}`),
  );
});

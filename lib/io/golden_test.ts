/**
 * The golden checkpoints that NVIDIA's pix2pixHD wrote with PyTorch 1.13 (shared/golden/tiny):
 * every key, dtype and shape against manifest.json and networks.txt, and a few values and the
 * exact sum of every tensor against fixtures/io/golden_values.json.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { FileSource } from "./byte_source.ts";
import { openCheckpoint, openCheckpointSource } from "./open_checkpoint.ts";
import { toFloat32 } from "./to_float32.ts";
import { bitsOf, fixture, goldenDir } from "./_test_utils.ts";

const golden = goldenDir();
const tiny = `${golden}/tiny`;

interface ManifestFile {
  path: string;
  format?: string;
  n_params?: number;
  tensors?: Record<string, { shape: number[]; dtype: string }>;
}

/** Each module tree of networks.txt as its state_dict: key to shape, in registration order. */
function parseNetworks(text: string): Map<string, Map<string, number[]>> {
  const modules = new Map<string, Map<string, number[]>>();
  let keys = new Map<string, number[]>();
  const path: string[] = [];
  for (const line of text.split("\n")) {
    const top = /^(\w+)\($/.exec(line);
    if (top) modules.set(top[1], keys = new Map());
    const child = /^( +)\(([\w]+)\): (\w+)\((.*)$/.exec(line);
    if (!child) continue;
    const [, indent, name, type, args] = child;
    const depth = indent.length / 2;
    path.length = depth - 1;
    path.push(name);
    const conv = /^(\d+), (\d+), kernel_size=\((\d+), (\d+)\)/.exec(args);
    if (conv && (type === "Conv2d" || type === "ConvTranspose2d")) {
      const [i, o, kh, kw] = conv.slice(1).map(Number);
      keys.set(`${path.join(".")}.weight`, type === "Conv2d" ? [o, i, kh, kw] : [i, o, kh, kw]);
      if (!args.includes("bias=False")) keys.set(`${path.join(".")}.bias`, [o]);
    }
  }
  return modules;
}

const MODULE_OF: Record<string, string> = {
  "checkpoints/golden/latest_net_G.pth": "LocalEnhancer",
  "legacy_net_G.pth": "LocalEnhancer",
  "train/after_net_G.pth": "LocalEnhancer",
  "checkpoints/golden/latest_net_D.pth": "MultiscaleDiscriminator",
  "train/after_net_D.pth": "MultiscaleDiscriminator",
  "checkpoints/golden/latest_net_E.pth": "Encoder",
};

Deno.test({
  name:
    "golden checkpoints: every key, dtype and shape as manifest.json and networks.txt give them",
  ignore: golden === undefined,
  fn: async () => {
    const manifest = JSON.parse(await Deno.readTextFile(`${tiny}/manifest.json`));
    const networks = parseNetworks(await Deno.readTextFile(`${tiny}/networks.txt`));
    const files = (manifest.files as ManifestFile[]).filter((f) => f.path.endsWith(".pth"));
    equal(files.length, 7);
    for (const file of files) {
      using checkpoint = await openCheckpoint(`${tiny}/${file.path}`);
      equal(checkpoint.format, file.format === "legacy" ? "torch-legacy" : "torch-zip", file.path);
      const found = Object.fromEntries(
        [...checkpoint.tensors].map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype }]),
      );
      deepEqual(Object.keys(found), Object.keys(file.tensors!), file.path);
      deepEqual(found, file.tensors, file.path);
      const params = [...checkpoint.tensors.values()].reduce(
        (n, t) => n + t.shape.reduce((a, b) => a * b, 1),
        0,
      );
      equal(params, file.n_params, file.path);
      const module = MODULE_OF[file.path];
      if (module) {
        deepEqual(
          [...checkpoint.tensors].map(([k, t]) => [k, t.shape]),
          [...networks.get(module)!],
          file.path,
        );
      }
      equal(checkpoint.values.size, 0);
    }
  },
});

Deno.test({
  name: "golden checkpoints: values and exact sums of every tensor as PyTorch read them",
  ignore: golden === undefined,
  fn: async () => {
    const values = JSON.parse(await Deno.readTextFile(fixture("golden_values.json")));
    for (
      const [path, tensors] of Object.entries(
        values as Record<string, Record<string, { first: number[]; last: number; sum: number }>>,
      )
    ) {
      using checkpoint = await openCheckpoint(`${tiny}/${path}`);
      deepEqual(checkpoint.keys(), Object.keys(tensors), path);
      for (const [key, want] of Object.entries(tensors)) {
        const x = toFloat32(await checkpoint.read(key));
        deepEqual([...x.subarray(0, 3)], want.first, `${path} ${key}`);
        equal(x[x.length - 1], want.last, `${path} ${key}`);
        let sum = 0;
        let scale = 0;
        for (const v of x) {
          sum += v;
          scale += Math.abs(v);
        }
        ok(
          Math.abs(sum - want.sum) <= 1e-12 * x.length * scale + 1e-30,
          `${path} ${key}: ${sum} vs ${want.sum}`,
        );
      }
    }
  },
});

Deno.test({
  name: "golden checkpoints: the legacy G holds the zip G's tensors bit for bit",
  ignore: golden === undefined,
  fn: async () => {
    using zip = await openCheckpoint(`${tiny}/checkpoints/golden/latest_net_G.pth`);
    using legacy = await openCheckpoint(`${tiny}/legacy_net_G.pth`);
    deepEqual(legacy.keys(), zip.keys());
    for (const key of zip.keys()) {
      deepEqual(bitsOf(await legacy.read(key)), bitsOf(await zip.read(key)), key);
    }
  },
});

Deno.test({
  name: "golden checkpoints: opening the 17 MB G reads its index only",
  ignore: golden === undefined,
  fn: async () => {
    for (const path of ["legacy_net_G.pth", "checkpoints/golden/latest_net_G.pth"]) {
      const source = await FileSource.open(`${tiny}/${path}`);
      let read = 0;
      const spy = Object.assign(Object.create(source), {
        read: (offset: number, length: number, what: string) => {
          read += length;
          return source.read(offset, length, what);
        },
        close: () => source.close(),
      });
      using checkpoint = await openCheckpointSource(spy);
      ok(read < 100_000, `${path}: ${read} bytes read to open`);
      const before = read;
      await checkpoint.read("model.1.bias");
      // The 32 float32 of the bias, plus a zip entry's local header.
      ok(
        read - before >= 32 * 4 && read - before < 32 * 4 + 100,
        `${path}: ${read - before} bytes`,
      );
    }
  },
});

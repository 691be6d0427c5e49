/**
 * PyTorch reads what lib/io writes: `torch.load(weights_only=True)` on our `.pth` files and the
 * safetensors package (or, without it, a plain reading of the format) on our `.safetensors`, bit
 * for bit. Skipped, with a message, where no Python imports torch (CI need not install it).
 */
import { deepEqual } from "node:assert/strict";
import { allocate, bytesOf, HOST_DTYPES } from "./dtype.ts";
import { loadCheckpoint, openCheckpoint } from "./open_checkpoint.ts";
import { saveCheckpoint } from "./save_checkpoint.ts";
import type { StateDict, TensorData } from "./tensor_data.ts";
import { ZipWriter } from "./zip_writer.ts";
import { goldenDir, runPython, torchPython } from "./_test_utils.ts";

const python = await torchPython();

const CHECK = `
import hashlib, json, sys, zipfile
import torch

def raw_hex(t):
    """sha256 of the tensor's bytes in row-major order."""
    t = t.detach().contiguous().reshape(-1)
    raw = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
    return hashlib.sha256(raw).hexdigest()

def load_safetensors(path):
    try:
        from safetensors.torch import load_file
        return load_file(path), "safetensors package"
    except ImportError:
        pass
    dtypes = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
              "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
              "U8": torch.uint8, "BOOL": torch.bool}
    data = open(path, "rb").read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        raw = bytearray(data[8 + n + b:8 + n + e])
        t = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.zeros(0, dtype=torch.uint8)
        out[k] = t.view(dtypes[v["dtype"]]).reshape(v["shape"])
    return out, "plain reading"

expected = json.load(open(sys.argv[1]))
for path, want in expected.items():
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            got = {i.filename: z.read(i.filename).hex() for i in z.infolist()}
        how = "zipfile"
    elif path.endswith(".safetensors"):
        sd, how = load_safetensors(path)
        got = {k: [str(t.dtype)[6:], list(t.shape), raw_hex(t)] for k, t in sd.items()}
    else:
        sd = torch.load(path, weights_only=True)
        how = "torch.load(weights_only=True)"
        got = {k: [str(t.dtype)[6:], list(t.shape), raw_hex(t)] for k, t in sd.items()}
    if path.endswith(".pth"):
        assert list(got) == list(want), (path, list(got), list(want))
    assert got == want, path
    print("ok", how, path)
`;

/** Each tensor's dtype, shape and the sha256 of its bytes, as the Python check gives them. */
async function describe(
  state: StateDict,
): Promise<Record<string, [string, readonly number[], string]>> {
  const out: Record<string, [string, readonly number[], string]> = {};
  for (const [key, t] of state) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytesOf(t.data).slice()));
    out[key] = [t.dtype, t.shape, [...digest].map((b) => b.toString(16).padStart(2, "0")).join("")];
  }
  return out;
}

function randomState(): StateDict {
  let s = 12345;
  const out: StateDict = new Map();
  for (const dtype of HOST_DTYPES) {
    const data = allocate(dtype, 24);
    const bytes = bytesOf(data);
    for (let b = 0; b < bytes.length; b++) {
      bytes[b] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    }
    if (dtype === "bool") { for (let b = 0; b < bytes.length; b++) bytes[b] &= 1; }
    out.set(`net.${dtype}`, { dtype, shape: [2, 3, 4], data } as TensorData);
  }
  out.set("scalar", { dtype: "float64", shape: [], data: new Float64Array([-0]) });
  out.set("empty", { dtype: "int32", shape: [0, 2], data: new Int32Array() });
  return out;
}

Deno.test({
  name: "PyTorch reads our .pth, .safetensors and zip64 files bit for bit",
  ignore: python === undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const expected: Record<string, unknown> = {};
    const state = randomState();
    for (const name of ["all_dtypes.pth", "all_dtypes.safetensors"]) {
      await saveCheckpoint(`${dir}/${name}`, state);
      expected[`${dir}/${name}`] = await describe(state);
    }
    const golden = goldenDir();
    if (golden) {
      using g = await openCheckpoint(`${golden}/tiny/checkpoints/golden/latest_net_G.pth`);
      await saveCheckpoint(`${dir}/latest_net_G.pth`, g.tensors);
      await saveCheckpoint(`${dir}/latest_net_G.safetensors`, g.tensors);
      const tensors = await describe(await g.readAll());
      expected[`${dir}/latest_net_G.pth`] = tensors;
      expected[`${dir}/latest_net_G.safetensors`] = tensors;
    }
    const chunks: Uint8Array[] = [];
    const zip = new ZipWriter((bytes) => chunks.push(bytes.slice()), { zip64Threshold: 64 });
    const entries: Record<string, string> = { "a/small": "01", "a/big": "ab".repeat(100) };
    for (const [name, hex] of Object.entries(entries)) {
      await zip.add(name, new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16))));
    }
    await zip.finish();
    await Deno.writeFile(
      `${dir}/zip64.zip`,
      new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer()),
    );
    expected[`${dir}/zip64.zip`] = entries;

    await Deno.writeTextFile(`${dir}/expected.json`, JSON.stringify(expected));
    const output = await runPython(python!, CHECK, [`${dir}/expected.json`]);
    deepEqual(output.trim().split("\n").length, Object.keys(expected).length, output);
    console.log(output.trim());
    deepEqual((await loadCheckpoint(`${dir}/all_dtypes.pth`)).size, state.size);
    await Deno.remove(dir, { recursive: true });
  },
});

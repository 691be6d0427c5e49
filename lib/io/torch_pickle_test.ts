import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { flattenCheckpoint, type StorageRef, TensorRef } from "./torch_pickle.ts";
import { inChild, ioModule } from "./_test_utils.ts";

const storage: StorageRef = {
  key: "0",
  className: "torch.FloatStorage",
  dtype: "float32",
  numel: 4,
  rootOffset: 0,
};
const tensor = () => new TensorRef(storage, 0, [4], [1]);
const dict = (...entries: [unknown, unknown][]) => new Map<unknown, unknown>(entries);

Deno.test("flattenCheckpoint() keeps one tensor under two keys (tied weights)", () => {
  const w = tensor();
  const flat = flattenCheckpoint(dict(["enc.weight", w], ["dec", dict(["weight", w])]), "'f'");
  deepEqual([...flat.tensors.keys()], ["enc.weight", "dec.weight"]);
  ok(flat.tensors.get("enc.weight") === flat.tensors.get("dec.weight"));
});

Deno.test("flattenCheckpoint() refuses a dict or list of tensors reached under two keys", () => {
  const shared = dict(["w", tensor()]);
  throws(
    () => flattenCheckpoint(dict(["a", shared], ["b", shared]), "'f.pth'"),
    new SyntaxError(
      "Cannot read 'f.pth' as a state_dict as one dict is reached under two keys (flattening it twice could repeat without end): current value is 'a' and 'b'",
    ),
  );
  const list = [tensor()];
  throws(
    () => flattenCheckpoint(dict(["a", dict(["x", list])], ["b", list]), "'f.pth'"),
    /one list is reached under two keys .*: current value is 'a\.x' and 'b'$/,
  );
});

Deno.test("flattenCheckpoint() keeps a list that holds itself as a value, refuses such a dict", () => {
  const list: unknown[] = [1];
  list.push(list);
  const flat = flattenCheckpoint(dict(["w", tensor()], ["history", list]), "'f'");
  ok(flat.values.get("history") === list);
  const self = dict(["lr", 0.1]);
  self.set("self", self);
  throws(
    () => flattenCheckpoint(dict(["opt", self]), "'f'"),
    /one dict is reached under two keys .*: current value is 'opt' and 'opt\.self'$/,
  );
  const loop: unknown[] = [tensor()];
  loop.push(loop);
  throws(() => flattenCheckpoint(dict(["l", loop]), "'f'"), /current value is 'l' and 'l\.1'$/);
});

Deno.test("flattenCheckpoint() refuses nesting past 1000 levels without overflowing", () => {
  let dicts: unknown = dict(["w", tensor()]);
  let lists: unknown = [tensor()];
  for (let i = 0; i < 200_000; i++) {
    dicts = dict(["a", dicts]);
    lists = [lists];
  }
  for (const deep of [dicts, lists]) {
    throws(
      () => flattenCheckpoint(dict(["x", deep]), "'f.pth'"),
      (error: Error) => {
        ok(error instanceof RangeError, String(error));
        ok(
          error.message.startsWith(
            "Cannot read 'f.pth' as a state_dict as it nests deeper than 1000 levels: current value is key 'x.",
          ),
          error.message,
        );
        ok(error.message.length < 400);
        return true;
      },
    );
  }
  let ok1000: unknown = tensor();
  for (let i = 1; i < 1000; i++) ok1000 = dict(["a", ok1000]);
  equal(flattenCheckpoint(ok1000, "'f'").tensors.size, 1);
});

Deno.test("flattenCheckpoint() refuses keys of more than 64 Mi characters in all", () => {
  const long = "k".repeat(1 << 20);
  const many = dict(...Array.from({ length: 100 }, (_, i): [unknown, unknown] => [i, null]));
  throws(
    () => flattenCheckpoint(dict([long, many]), "'f.pth'"),
    /^RangeError: Cannot read 'f\.pth' as a state_dict as its keys take more than 67108864 characters in all: current value is key 'k{20}/,
  );
});

Deno.test("flattenCheckpoint() walks a list shared 2^64 ways once", async () => {
  // In a child process: before each object was walked once, this took 2^64 steps.
  const result = await inChild(
    `import { flattenCheckpoint, TensorRef } from "${ioModule("torch_pickle.ts")}";
    const storage = { key: "0", className: "torch.FloatStorage", dtype: "float32", numel: 1, rootOffset: 0 };
    const shared = (bottom: unknown[]) => {
      let level = bottom;
      for (let i = 0; i < 64; i++) level = [level, level];
      return level;
    };
    const plain = shared([1]);
    const flat = flattenCheckpoint(new Map<unknown, unknown>([["x", plain], [plain, 2]]), "'f'");
    const out: string[] = [String(flat.values.get("x") === plain), [...flat.values.keys()][1].slice(0, 12)];
    try {
      flattenCheckpoint(new Map([["x", shared([new TensorRef(storage, 0, [1], [1])])]]), "'f'");
    } catch (error) {
      out.push(String(error));
    }
    console.log(JSON.stringify(out));`,
    20_000,
  );
  equal(result.timedOut, false, "timed out");
  equal(result.stderr, "");
  const [same, tupleKey, refused] = JSON.parse(result.stdout);
  equal(same, "true");
  equal(tupleKey, "[[[[[[[[[[[[");
  ok(
    /^SyntaxError: Cannot read 'f' as a state_dict as one list is reached under two keys .*: current value is 'x(\.0){63}\.0' and 'x(\.0){63}\.1'$/
      .test(refused),
    refused,
  );
});

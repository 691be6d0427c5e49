import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveVggWeights, VGG19_FILE, VGG19_URL } from "./vgg_weights.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const noFetch: typeof fetch = () => {
  throw new Error("fetch must not be called");
};

Deno.test("resolveVggWeights returns --vgg_weights as it is, and refuses a missing one", () =>
  withDir(async (dir) => {
    const path = join(dir, "my_vgg.pth");
    await Deno.writeFile(path, new Uint8Array([1]));
    assert.equal(await resolveVggWeights({ vggWeights: path, fetch: noFetch }), path);
    await assert.rejects(
      () => resolveVggWeights({ vggWeights: join(dir, "nope.pth"), cacheDir: dir }),
      {
        name: "NotFound",
        message: `Cannot read the VGG19 weights as the file does not exist: current value is '${
          join(dir, "nope.pth")
        }'`,
      },
    );
  }));

Deno.test("resolveVggWeights finds the cached vgg19-dcbbe6f5.pth without downloading", () =>
  withDir(async (dir) => {
    const cached = join(dir, VGG19_FILE);
    await Deno.writeFile(cached, new Uint8Array([1]));
    assert.equal(await resolveVggWeights({ cacheDir: dir, fetch: noFetch }), cached);
  }));

Deno.test("resolveVggWeights without a network says how to get the weights, leaving nothing behind", () =>
  withDir(async (dir) => {
    const cache = join(dir, "cache");
    const offline: typeof fetch = (input) => {
      assert.equal(String(input), VGG19_URL);
      return Promise.reject(new TypeError("error sending request: dns error"));
    };
    try {
      await resolveVggWeights({ cacheDir: cache, fetch: offline });
      assert.fail("expected an error");
    } catch (e) {
      assert.equal((e as Error).name, "NotFound");
      const message = (e as Error).message;
      assert.match(
        message,
        /^Cannot get the VGG19 weights as .*vgg19-dcbbe6f5\.pth does not exist/,
      );
      assert.match(message, /current value is 'error sending request: dns error'/);
      assert.match(message, /Download that file into .*cache, or pass --vgg_weights PATH/);
      assert.match(message, /--no_vgg_loss/);
      assert.ok((e as Error).cause instanceof TypeError);
    }
    assert.deepEqual([...Deno.readDirSync(cache)], []);
  }));

Deno.test("resolveVggWeights refuses a failed or corrupt download and keeps no partial file", () =>
  withDir(async (dir) => {
    const serve = (status: number): typeof fetch => () =>
      Promise.resolve(new Response(new Uint8Array([1, 2, 3]), { status }));
    await assert.rejects(() => resolveVggWeights({ cacheDir: dir, fetch: serve(404) }), {
      name: "NotFound",
      message: /current value is 'the server answered 404 /,
    });
    const said: string[] = [];
    const print = (line: string) => void said.push(line);
    await assert.rejects(() => resolveVggWeights({ cacheDir: dir, fetch: serve(200), print }), {
      name: "NotFound",
      message: /SHA-256 must start with dcbbe6f5: current value is 039058c6/,
    });
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    // The download is announced with its size, from its Content-Length.
    const sized: typeof fetch = () =>
      Promise.resolve(
        new Response(new Uint8Array(2_500_000), { headers: { "content-length": "2500000" } }),
      );
    await assert.rejects(() => resolveVggWeights({ cacheDir: dir, fetch: sized, print }));
    assert.match(
      said[0],
      /^downloading https:\/\/download\.pytorch\.org\/models\/vgg19-dcbbe6f5\.pth \(size unknown\) into /,
    );
    assert.match(said[1], /\(2\.5 MB\) into .*vgg19-dcbbe6f5\.pth$/);
  }));

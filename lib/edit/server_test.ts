import { deepEqual, equal, match, notDeepEqual, ok } from "node:assert/strict";
import { join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { gpu } from "../../tests/check.ts";
import { decodePng, encodePng } from "../data/png.ts";
import type { FeatureClusters } from "../features/clusters.ts";
import { defineG } from "../pix2pixhd/networks/define_g.ts";
import { serveEditor, type ServeOptions, staticPath } from "./server.ts";
import { EditorSession, type SceneSource } from "./session.ts";
import type { SceneMaps } from "./scene.ts";

// A 32×16 scene: road (7) everywhere, sky (23) in rows 0..3, a car 26001 at x 8..15, y 8..13.
const W = 32, H = 16;
const ROAD = 7, SKY = 23, CAR = 26, TRUCK = 27, SIDEWALK = 8;
const CAR_BOX = [8, 8, 8, 6];
const CLUSTERS: FeatureClusters = {
  featNum: 3,
  centres: new Map([[CAR, [[1, 1, 1], [-1, -1, -1], [0.5, -0.5, 0]]], [ROAD, [[0, 0, 0]]]]),
};

function streetMaps(): SceneMaps {
  const label = new Uint8Array(W * H).fill(ROAD);
  const inst = new Int32Array(W * H).fill(ROAD);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (y < 4) label[p] = inst[p] = SKY;
      else if (x >= 8 && x < 16 && y >= 8 && y < 14) label[p] = CAR, inst[p] = 26001;
    }
  }
  return { width: W, height: H, label, inst };
}

const SCENES: SceneSource[] = [
  { name: "street", load: () => Promise.resolve(streetMaps()) },
  {
    name: "empty road",
    load: () =>
      Promise.resolve({
        width: W,
        height: H,
        label: new Uint8Array(W * H).fill(ROAD),
        inst: new Int32Array(W * H).fill(ROAD),
      }),
  },
];

interface Editor {
  /** The page's URL, ending in "/". */
  url: string;
  port: number;
  session: EditorSession;
}

/**
 * Runs `fn` against an editor on a tiny generator, then stops the server and frees G. Nothing may
 * reach console.error meanwhile: bad input is answered, not logged.
 */
async function withEditor(
  fn: (editor: Editor) => Promise<void>,
  options: Omit<ServeOptions, "port" | "signal" | "onListen"> = {},
) {
  await gpu();
  const netG = defineG({
    netG: "global",
    inputNc: 35 + 1 + 3,
    outputNc: 3,
    ngf: 4,
    nDownsampleGlobal: 2,
    nBlocksGlobal: 1,
    seed: 1,
  });
  const session = new EditorSession({
    netG,
    input: { labelNc: 35 },
    clusters: CLUSTERS,
    seed: 0,
    scenes: SCENES,
  });
  await session.open(0);
  const stop = new AbortController();
  let url = "";
  const server = serveEditor(session, {
    ...options,
    port: 0,
    signal: stop.signal,
    onListen: (u) => url = u,
  });
  const logged: unknown[][] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    const port = (server.addr as Deno.NetAddr).port;
    equal(url, `http://127.0.0.1:${port}/`);
    await fn({ url, port, session });
    deepEqual(logged, [], "nothing reaches console.error");
  } finally {
    console.error = consoleError;
    stop.abort();
    await server.finished;
    netG.dispose();
  }
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function getJson(url: string): Promise<{ status: number; json: Json }> {
  const response = await fetch(url);
  return { status: response.status, json: await response.json() };
}

/** A POST as the page sends it: a JSON body (if any) declared `application/json`. */
async function post(
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

async function bytes(url: string, type = "image/png"): Promise<Uint8Array> {
  const response = await fetch(url);
  const got = new Uint8Array(await response.arrayBuffer());
  equal(response.status, 200, `${url}: ${new TextDecoder().decode(got)}`);
  equal(response.headers.get("content-type"), type);
  return got;
}

/** The photo's decoded RGB bytes. */
async function photo(editor: Editor): Promise<Uint8Array> {
  const image = decodePng(await bytes(`${editor.url}api/photo.png`));
  equal(image.width, W);
  equal(image.height, H);
  equal(image.channels, 3);
  return image.data as Uint8Array;
}

/**
 * Asserts a refused request: `status` (400 unless given), a JSON error matching `pattern`, and no
 * change of version.
 */
async function refused(
  editor: Editor,
  request: Promise<{ status: number; json: Json }>,
  pattern: RegExp,
  expected = 400,
): Promise<void> {
  const before = editor.session.version;
  const { status, json } = await request;
  equal(status, expected, JSON.stringify(json));
  equal(typeof json.error, "string");
  match(json.error, pattern);
  equal(editor.session.version, before, "a refused request changes nothing");
}

interface RawResponse {
  status: number;
  /** The header lines, lower-cased names. */
  headers: Map<string, string>;
  body: string;
  /** The whole response as text. */
  text: string;
}

/**
 * Reads one HTTP/1.1 response from `conn` (until its Content-Length, or the end of the stream),
 * failing when none is complete within `deadline` ms.
 */
async function readResponse(conn: Deno.Conn, deadline = 10_000): Promise<RawResponse> {
  let bytes = new Uint8Array(0);
  const timer = setTimeout(() => conn.close(), deadline);
  try {
    const buffer = new Uint8Array(4096);
    for (;;) {
      const text = new TextDecoder().decode(bytes);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
        if (length && bytes.length >= end + 4 + Number(length[1])) break;
      }
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (error) {
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
          throw new Error(`No response within ${deadline} ms: ${text.slice(0, 80)}`);
        }
        throw error;
      }
      if (n === null) break;
      const next = new Uint8Array(bytes.length + n);
      next.set(bytes);
      next.set(buffer.subarray(0, n), bytes.length);
      bytes = next;
    }
  } finally {
    clearTimeout(timer);
  }
  const text = new TextDecoder().decode(bytes);
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  ok(status, `a status line: ${text.slice(0, 80)}`);
  const end = text.indexOf("\r\n\r\n");
  const headers = new Map(
    text.slice(0, end).split("\r\n").slice(1).map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { status: Number(status[1]), headers, body: text.slice(end + 4), text };
}

/** Sends `head` (request line and headers, without the blank line) and `body` over TCP. */
async function raw(port: number, head: string, body = ""): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`${head}\r\nConnection: close\r\n\r\n${body}`));
    return await readResponse(conn);
  } finally {
    close(conn);
  }
}

/** Closes `conn` unless {@linkcode readResponse}'s deadline already did. */
function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/** A GET over a raw TCP connection, so that the path reaches the server as written. */
function rawGet(port: number, path: string): Promise<RawResponse> {
  return raw(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}`);
}

function labelPng(width: number, height: number, label: Uint8Array): Uint8Array {
  return encodePng({ width, height, channels: 1, data: label });
}

async function upload(editor: Editor, png: Uint8Array, name = "mine") {
  const response = await fetch(`${editor.url}api/upload?name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { "content-type": "image/png" },
    body: png as Uint8Array<ArrayBuffer>,
  });
  return { status: response.status, json: await response.json() };
}

function dataUrlBytes(url: string): Uint8Array {
  const prefix = "data:image/png;base64,";
  ok(url.startsWith(prefix), url.slice(0, 40));
  return Uint8Array.from(atob(url.slice(prefix.length)), (c) => c.charCodeAt(0));
}

Deno.test("editor server: state, photo, object and variants", async () => {
  await withEditor(async (editor) => {
    const { url } = editor;
    const { status, json: state } = await getJson(`${url}api/state`);
    equal(status, 200);
    equal(state.width, W);
    equal(state.height, H);
    equal(state.scene, "street");
    deepEqual(state.scenes, ["street", "empty road"]);
    equal(state.version, 1);
    equal(state.canUndo, false);
    equal(state.canRedo, false);
    equal(state.features, true);
    equal(state.classes.length, 35);
    deepEqual(state.classes[CAR], {
      id: 26,
      name: "car",
      color: [0, 0, 142],
      thing: true,
      clusters: 3,
    });
    deepEqual(state.classes[ROAD], {
      id: 7,
      name: "road",
      color: [128, 64, 128],
      thing: false,
      clusters: 1,
    });
    equal(state.classes[SKY].clusters, 0);
    equal(state.classes[34].id, 34);
    equal(typeof state.classes[34].name, "string");

    const rgb = await photo(editor);
    equal(rgb.length, W * H * 3);
    // The photo is cached per version and deterministic.
    deepEqual(await photo(editor), rgb);
    const label = decodePng(await bytes(`${url}api/label.png`));
    deepEqual([label.width, label.height, label.channels], [W, H, 3]);
    deepEqual([...label.data.subarray(0, 3)], [70, 130, 180]); // sky
    deepEqual([...label.data.subarray((10 * W + 10) * 3, (10 * W + 10) * 3 + 3)], [0, 0, 142]);

    const car = await getJson(`${url}api/object?x=10&y=9`);
    equal(car.status, 200);
    equal(car.json.id, 26001);
    equal(car.json.label, CAR);
    equal(car.json.area, 48);
    deepEqual(car.json.box, CAR_BOX);
    equal(car.json.clusters, 3);
    deepEqual(car.json.style, editor.session.scene.style(26001));
    const sky = await getJson(`${url}api/object?x=31&y=0`);
    deepEqual(sky.json, { id: SKY, label: SKY, area: 4 * W, box: [0, 0, W, 4], clusters: 0 });
    await refused(editor, getJson(`${url}api/object?x=32&y=0`), /point \(32, 0\).*32×16/);
    await refused(
      editor,
      getJson(`${url}api/object?x=a&y=0`),
      /x must be a pixel index: current value is a/,
    );
    await refused(
      editor,
      getJson(`${url}api/object?x=3`),
      /y must be a pixel index: current value is null/,
    );

    const variants = await getJson(`${url}api/variants?id=26001`);
    equal(variants.status, 200);
    deepEqual(variants.json.box, [0, 0, W, H]); // grown to 128, clipped to the scene
    equal(variants.json.images.length, 3);
    const images = variants.json.images.map((u: string) => decodePng(dataUrlBytes(u)));
    for (const image of images) deepEqual([image.width, image.height, image.channels], [W, H, 3]);
    notDeepEqual(images[0].data, images[1].data);
    notDeepEqual(images[1].data, images[2].data);
    // Their spread: the largest mean |difference| per byte between two of them.
    let most = 0;
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]]) {
      let d = 0;
      for (let p = 0; p < images[a].data.length; p++) {
        d += Math.abs(images[a].data[p] - images[b].data[p]);
      }
      most = Math.max(most, d / images[a].data.length);
    }
    ok(Math.abs(variants.json.spread - most) < 1e-9 && most > 0, `${variants.json.spread}`);
    // Variant k is the photo with the car in cluster k; the previews did not edit the scene.
    equal(editor.session.version, 1);
    equal(editor.session.scene.canUndo, false);
    for (let k = 0; k < 3; k++) {
      equal((await post(`${url}api/style`, { id: 26001, cluster: k })).status, 200);
      deepEqual(await photo(editor), images[k].data, `variant ${k}`);
    }
    equal((await getJson(`${url}api/variants?id=7`)).json.images.length, 1);
    deepEqual(await getJson(`${url}api/variants?id=23`), {
      status: 200,
      json: { box: [0, 0, W, H], images: [], spread: 0 },
    });
    await refused(editor, getJson(`${url}api/variants?id=12345`), /instance 12345 as no pixel/);
    const missing = await getJson(`${url}api/nothing`);
    deepEqual(missing, { status: 404, json: { error: "No such request: GET /api/nothing" } });
  });
});

Deno.test("editor server: style, undo and redo give back the exact photos", async () => {
  await withEditor(async (editor) => {
    const { url, session } = editor;
    const drawn = session.scene.style(26001) as { cluster: number };
    const first = await photo(editor);
    const other = (drawn.cluster + 1) % 3;
    const styled = await post(`${url}api/style`, { id: 26001, cluster: other });
    equal(styled.status, 200);
    equal(styled.json.version, 2);
    equal(styled.json.canUndo, true);
    const second = await photo(editor);
    notDeepEqual(second, first);
    // Only the car's neighbourhood changes much; the photo's size stays.
    equal(second.length, first.length);

    const undone = await post(`${url}api/undo`);
    equal(undone.json.done, true);
    equal(undone.json.canUndo, false);
    equal(undone.json.canRedo, true);
    deepEqual(await photo(editor), first);
    const redone = await post(`${url}api/redo`);
    equal(redone.json.done, true);
    equal(redone.json.canRedo, false);
    deepEqual(await photo(editor), second);
    equal((await post(`${url}api/redo`)).json.done, false);

    // A vector style.
    equal((await post(`${url}api/style`, { id: 26001, vector: [0.2, -0.4, 0.9] })).status, 200);
    deepEqual(session.scene.style(26001), { vector: [0.2, -0.4, 0.9] });
    const third = await photo(editor);
    notDeepEqual(third, second);
    await post(`${url}api/undo`);
    deepEqual(await photo(editor), second);
    // Reset drops the style: the drawn one again.
    const reset = await post(`${url}api/reset`);
    equal(reset.status, 200);
    deepEqual(await photo(editor), first);
    await post(`${url}api/undo`);
    deepEqual(await photo(editor), second);
  });
});

Deno.test("editor server: relabel, paint, add and open", async () => {
  await withEditor(async (editor) => {
    const { url, session } = editor;
    const relabel = await post(`${url}api/relabel`, { id: 26001, label: TRUCK });
    equal(relabel.status, 200);
    equal(relabel.json.id, 27000);
    equal(relabel.json.version, 2);
    const truck = await getJson(`${url}api/object?x=15&y=13`);
    deepEqual([truck.json.id, truck.json.label, truck.json.area], [27000, TRUCK, 48]);
    const toRoad = await post(`${url}api/relabel`, { id: 27000, label: ROAD });
    equal(toRoad.json.id, ROAD);
    equal((await getJson(`${url}api/object?x=10&y=10`)).json.area, W * H - 4 * W);

    const paint = await post(`${url}api/paint`, {
      points: [[0, 15], [31, 15]],
      label: SIDEWALK,
      size: 1,
    });
    equal(paint.status, 200);
    equal(paint.json.changed, W);
    equal(
      (await post(`${url}api/paint`, { points: [[0, 0]], label: CAR, size: 3 })).json.changed,
      4,
    );
    equal(
      (await post(`${url}api/paint`, { points: [[0, 0]], label: CAR, size: 3 })).json.changed,
      0,
    );
    const saved = await fetch(`${url}api/save/label.png`);
    equal(saved.headers.get("content-disposition"), 'attachment; filename="street_labelIds.png"');
    const label = decodePng(new Uint8Array(await saved.arrayBuffer()));
    deepEqual([label.width, label.height, label.channels], [W, H, 1]);
    const expected = streetMaps().label;
    expected.fill(ROAD, 8 * W, 14 * W); // the car became road
    expected.fill(SIDEWALK, 15 * W, 16 * W);
    expected.set([CAR, CAR], 0);
    expected.set([CAR, CAR], W);
    deepEqual(label.data, expected);
    deepEqual(session.scene.label, expected);
    equal(session.scene.idAt([1, 1]), CAR); // painted pixels get instance id = label

    // Add an object from a base64 mask, with a cluster.
    const mask = new Uint8Array(W * H);
    mask.fill(1, 6 * W + 20, 6 * W + 24);
    const added = await post(`${url}api/add`, {
      mask: btoa(String.fromCharCode(...mask)),
      label: CAR,
      cluster: 1,
    });
    equal(added.status, 200);
    equal(added.json.id, 26000);
    deepEqual(session.scene.object(26000), {
      id: 26000,
      label: CAR,
      area: 4,
      box: [20, 6, 4, 1],
      style: { cluster: 1 },
    });
    await refused(editor, post(`${url}api/add`, { mask: 5, label: CAR }), /mask must be base64/);
    await refused(editor, post(`${url}api/add`, { mask: "***", label: CAR }), /not valid base64/);
    await refused(
      editor,
      post(`${url}api/add`, { mask: btoa("\x01\x01"), label: CAR }),
      /mask must have 32×16 values: current length is 2/,
    );

    // Open the other scene; a new scene has no history.
    const opened = await post(`${url}api/open`, { index: 1 });
    equal(opened.status, 200);
    equal(opened.json.scene, "empty road");
    equal(opened.json.canUndo, false);
    deepEqual(session.scene.ids(), [ROAD]);
    await refused(
      editor,
      post(`${url}api/open`, { index: 5 }),
      /scene 5 as there are 2 \(0\.\.1\)/,
    );
    await refused(editor, post(`${url}api/open`, { index: "0" }), /index.*integer.*"0"/);
  });
});

Deno.test("editor server: a round brush, a fill, and their refusals", async () => {
  await withEditor(async (editor) => {
    const { url, session } = editor;
    // A round brush of 5 at (20, 10) over road: the 5×5 square less its 4 corners.
    const round = await post(`${url}api/paint`, {
      points: [[20, 10]],
      label: SIDEWALK,
      size: 5,
      shape: "round",
    });
    equal(round.status, 200);
    equal(round.json.changed, 21);
    equal(session.scene.label[8 * W + 18], ROAD, "the corner is left");
    equal(session.scene.label[8 * W + 19], SIDEWALK);
    // Filling the car makes it one new truck; filling the road fills all of it round the car and
    // the sidewalk disc; filling a region with its own class changes nothing.
    const fill = await post(`${url}api/fill`, { x: 9, y: 9, label: TRUCK });
    equal(fill.status, 200);
    equal(fill.json.changed, 48);
    deepEqual(session.scene.object(27000)!.box, [8, 8, 8, 6]);
    const road = await post(`${url}api/fill`, { x: 0, y: 15, label: SIDEWALK });
    equal(road.json.changed, W * (H - 4) - 48 - 21);
    equal((await post(`${url}api/fill`, { x: 0, y: 15, label: SIDEWALK })).json.changed, 0);
    const version = session.version;
    await refused(
      editor,
      post(`${url}api/paint`, { points: [[0, 0]], label: ROAD, size: 3, shape: "star" }),
      /shape must be one of square, round: current value is "star"/,
    );
    await refused(editor, post(`${url}api/fill`, { x: 32, y: 0, label: ROAD }), /point \(32, 0\)/);
    await refused(editor, post(`${url}api/fill`, { x: 0, y: 0, label: 35 }), /fill's label.*35/);
    await refused(editor, post(`${url}api/fill`, { x: "0", y: 0, label: 7 }), /x .*"0"/);
    equal(session.version, version);
  });
});

Deno.test("editor server: bad requests answer 400 with a JSON error naming the problem", async () => {
  await withEditor(async (editor) => {
    const { url } = editor;
    await refused(
      editor,
      post(`${url}api/relabel`, { id: 26001, label: 99 }),
      /new label as label ids must be 0\.\.34: current value is 99/,
    );
    await refused(
      editor,
      post(`${url}api/relabel`, { id: 4242, label: ROAD }),
      /instance 4242 as no pixel has it/,
    );
    await refused(editor, post(`${url}api/relabel`, { id: "26001", label: 7 }), /id .*"26001"/);
    await refused(editor, post(`${url}api/relabel`, { id: 26001 }), /label .*integer/);
    await refused(
      editor,
      post(`${url}api/style`, { id: 26001, cluster: 5 }),
      /instance 26001 cluster 5 as class 26 has clusters 0\.\.2/,
    );
    await refused(
      editor,
      post(`${url}api/style`, { id: 23, cluster: 0 }),
      /class 23 has no clusters/,
    );
    await refused(editor, post(`${url}api/style`, { id: 777, cluster: 0 }), /instance 777/);
    await refused(
      editor,
      post(`${url}api/style`, { id: 26001, vector: [1, 2] }),
      /vector must be 3 finite numbers/,
    );
    await refused(
      editor,
      post(`${url}api/style`, { id: 26001, vector: "big" }),
      /vector must be a list of numbers/,
    );
    for (const text of ["{not json", "[1, 2]", "null", "3", ""]) {
      await refused(editor, post(`${url}api/relabel`, text), /body must be a JSON object/);
    }
    await refused(
      editor,
      post(`${url}api/paint`, { points: "0,0", label: ROAD, size: 1 }),
      /points must be a list/,
    );
    await refused(
      editor,
      post(`${url}api/paint`, { points: [[0, 0], [1, 2, 3]], label: ROAD, size: 1 }),
      /point 1 must be \[x, y\]: current value is \[1,2,3\]/,
    );
    await refused(
      editor,
      post(`${url}api/paint`, { points: [[0.5, 0]], label: ROAD, size: 1 }),
      /point 0's x as it must be an integer: current value is 0\.5/,
    );
    await refused(
      editor,
      post(`${url}api/paint`, { points: [[40, 0]], label: ROAD, size: 1 }),
      /point \(40, 0\)/,
    );
    await refused(
      editor,
      post(`${url}api/paint`, { points: [], label: ROAD, size: 1 }),
      /no points/,
    );
    await refused(
      editor,
      post(`${url}api/paint`, { points: [[0, 0]], label: ROAD, size: 0 }),
      /brush size must be a positive integer/,
    );
    await refused(
      editor,
      post(`${url}api/paint`, { points: [[0, 0]], label: 35, size: 1 }),
      /brush's label.*35/,
    );
    const state = await getJson(`${url}api/state`);
    equal(state.json.version, 1);
    equal(state.json.canUndo, false);
    await refused(
      editor,
      post(`${url}api/undo`, { steps: 2 }),
      /POST \/api\/undo as it takes no fields: current value is steps/,
    );
    // Undo and redo with nothing to do answer 200, done false.
    deepEqual((await post(`${url}api/undo`)).json.done, false);
    deepEqual((await post(`${url}api/redo`)).json.done, false);
  });
});

Deno.test("editor server: uploads of label maps, checked", async () => {
  await withEditor(async (editor) => {
    const { url, session } = editor;
    // Road with two separate cars and a sky band.
    const label = new Uint8Array(W * H).fill(ROAD);
    label.fill(SKY, 0, 2 * W);
    for (let y = 6; y < 10; y++) {
      label.fill(CAR, y * W + 2, y * W + 6);
      label.fill(CAR, y * W + 20, y * W + 24);
    }
    const before = session.version;
    const accepted = await upload(editor, labelPng(W, H, label), "mine");
    equal(accepted.status, 200, JSON.stringify(accepted.json));
    equal(accepted.json.scene, "mine");
    equal(accepted.json.version, before + 1);
    equal(accepted.json.canUndo, false);
    deepEqual(session.scene.label, label);
    deepEqual((await getJson(`${url}api/object?x=3&y=7`)).json.id, 26000);
    deepEqual((await getJson(`${url}api/object?x=23&y=9`)).json.id, 26001);
    deepEqual(session.scene.ids(), [ROAD, SKY, 26000, 26001]);
    deepEqual((await getJson(`${url}api/object?x=0&y=15`)).json.area, W * H - 2 * W - 32);
    // The saved label map round-trips the ids, and uploads again as the same scene.
    const saved = await bytes(`${url}api/save/label.png`);
    const decoded = decodePng(saved);
    deepEqual([decoded.width, decoded.height, decoded.channels], [W, H, 1]);
    deepEqual(decoded.data, label);
    equal((await upload(editor, saved, "again")).status, 200);
    deepEqual(session.scene.label, label);
    equal(session.sceneName, "again");
    // A 16-bit map is accepted while its ids fit.
    const wide = encodePng({ width: W, height: H, channels: 1, data: Uint16Array.from(label) });
    equal((await upload(editor, wide, "wide")).status, 200);
    deepEqual(session.scene.label, label);

    await refused(
      editor,
      upload(editor, new TextEncoder().encode("hello"), "notes.txt"),
      /notes\.txt as it must be a PNG/,
    );
    await refused(
      editor,
      upload(editor, labelPng(16, 8, new Uint8Array(16 * 8).fill(ROAD)), "small.png"),
      /small\.png as the model edits 32×16 label maps: current size is 16×8/,
    );
    const bad = label.slice();
    bad[2 * W + 3] = 40;
    await refused(
      editor,
      upload(editor, labelPng(W, H, bad), "bad.png"),
      /bad\.png as its label ids must be 0\.\.34: current value is 40 at \(3, 2\)/,
    );
    const rgb = encodePng({ width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3) });
    await refused(editor, upload(editor, rgb, "colour.png"), /colour\.png.*one channel/);
    const big = Uint16Array.from(label);
    big[5] = 300;
    await refused(
      editor,
      upload(editor, encodePng({ width: W, height: H, channels: 1, data: big }), "big.png"),
      /big\.png.*8 bits: current value is 300 at \(5, 0\)/,
    );
    const truncated = labelPng(W, H, label).slice(0, 40);
    await refused(editor, upload(editor, truncated, "cut.png"), /cut\.png/);
    equal(session.sceneName, "wide");
    deepEqual(session.scene.label, label);
  });
});

Deno.test("editor server: the page's files, and no path outside them", async () => {
  await withEditor(async (editor) => {
    const { url, port } = editor;
    const index = await fetch(url);
    equal(index.status, 200);
    equal(index.headers.get("content-type"), "text/html; charset=utf-8");
    equal(
      await index.text(),
      await Deno.readTextFile(new URL("./static/index.html", import.meta.url)),
    );
    const script = await fetch(`${url}editor.js`);
    equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
    equal(
      await script.text(),
      await Deno.readTextFile(new URL("./static/editor.js", import.meta.url)),
    );
    const css = await fetch(`${url}editor.css`);
    equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    await css.body?.cancel();
    const posted = await fetch(url, { method: "POST", body: "x" });
    equal(posted.status, 405);
    await posted.body?.cancel();
    for (
      const path of [
        "/../deno.json",
        "/%2e%2e/%2e%2e/deno.json",
        "/..%2f..%2fdeno.json",
        "/static/../../server.ts",
        "/../server.ts",
        "/..%2fserver.ts",
        "/%2e%2e%2fserver.ts",
        "/..%5cserver.ts",
        "/nothing.html",
        "/index.html%00.css",
        "/%E0%A4%A",
      ]
    ) {
      const { status } = await rawGet(port, path);
      equal(status, 404, path);
    }
    equal((await rawGet(port, "/")).status, 200);
    equal((await rawGet(port, "/static/../editor.css")).status, 200);
  });
});

Deno.test("editor server: traversal cannot reach a served type beside the page's folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "editor_static_" });
  try {
    const root = join(dir, "static");
    await Deno.mkdir(join(root, "sub"), { recursive: true });
    await Deno.writeTextFile(join(root, "index.html"), "<p>inside</p>");
    await Deno.writeTextFile(join(root, "sub", "a.js"), "// inside");
    await Deno.writeTextFile(join(root, "data.json"), "{}");
    await Deno.writeTextFile(join(dir, "secret.html"), "<p>secret</p>");
    await Deno.writeTextFile(join(dir, "static2.html"), "<p>secret</p>");
    await withEditor(async ({ port, url }) => {
      const inside = await rawGet(port, "/");
      equal(inside.status, 200);
      ok(inside.text.endsWith("<p>inside</p>"));
      equal((await rawGet(port, "/sub/a.js")).status, 200);
      equal((await rawGet(port, "/sub/../index.html")).status, 200);
      equal((await rawGet(port, "/data.json")).status, 404); // not a served type
      for (
        const path of [
          "/../secret.html",
          "/%2e%2e/secret.html",
          "/..%2fsecret.html",
          "/sub/../../secret.html",
          "/sub/..%2f..%2fsecret.html",
          "/sub%2f..%2f..%2fsecret.html",
          "/%2e%2e%2fsecret.html",
          "/..%5csecret.html",
          "/../static2.html",
          "/..%2fstatic2.html",
          `/${encodeURIComponent(join(dir, "secret.html"))}`,
          `//${join(dir, "secret.html")}`,
        ]
      ) {
        const { status, text } = await rawGet(port, path);
        equal(status, 404, path);
        ok(!text.includes("secret"), path);
      }
      const fetched = await fetch(`${url}../secret.html`);
      equal(fetched.status, 404);
      await fetched.body?.cancel();
    }, { staticDir: root });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("staticPath: files under the root only", () => {
  const root = resolve("/srv/editor/static");
  for (const r of [root, root + "/"]) {
    equal(staticPath(r, "/"), join(root, "index.html"));
    equal(staticPath(r, "/editor.js"), join(root, "editor.js"));
    equal(staticPath(r, "/a/b.css"), join(root, "a", "b.css"));
    equal(staticPath(r, "/a/../b.css"), join(root, "b.css"));
    equal(staticPath(r, "/a/./b.css"), join(root, "a", "b.css"));
    equal(staticPath(r, "//a.css"), join(root, "a.css"));
    equal(staticPath(r, "/my%20page.html"), join(root, "my page.html"));
    for (
      const path of [
        "/..",
        "/../x.html",
        "/../../etc/passwd",
        "/%2e%2e/x.html",
        "/%2E%2E/x.html",
        "/..%2fx.html",
        "/a/..%2f..%2fx.html",
        "/a/../../x.html",
        "/static/../../server.ts",
        "/..%5cx.html",
        "/a\\..\\..\\x.html",
        "/x.html%00.css",
        "/%E0%A4%A",
        "/%",
        "/a/..",
        "/.",
      ]
    ) {
      equal(staticPath(r, path), undefined, path);
    }
  }
  // An absolute path after decoding stays under the root.
  equal(staticPath(root, "/%2Fetc%2Fpasswd"), join(root, "etc", "passwd"));
  // A sibling folder whose name starts with the root's is outside it.
  equal(staticPath(root, "/../static2/x.html"), undefined);
});

Deno.test("editor server: requests are handled one at a time", async () => {
  await withEditor(async (editor) => {
    const { url, session } = editor;
    const v0 = session.version;
    const n = 6;
    const requests = Array.from(
      { length: n },
      (_, i) => post(`${url}api/paint`, { points: [[i * 5, 15]], label: SIDEWALK, size: 1 }),
    );
    // Photos in between: each waits for the edits queued before it.
    const photos = Array.from({ length: 3 }, () => fetch(`${url}api/photo.png`));
    const results = await Promise.all(requests);
    for (const response of await Promise.all(photos)) {
      equal(response.status, 200);
      await response.body?.cancel();
    }
    for (const { status, json } of results) {
      equal(status, 200);
      equal(json.changed, 1);
    }
    // Each response saw the state right after its own edit.
    deepEqual(
      results.map((r) => r.json.version).sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => v0 + 1 + i),
    );
    equal(session.version, v0 + n);
    let undone = 0;
    while ((await post(`${url}api/undo`)).json.done) undone++;
    equal(undone, n);
    deepEqual(session.scene.label, streetMaps().label);

    // An edit sent while a photo is being synthesized waits for it: were it applied during the
    // synthesis, the old scene's photo would be cached as the new version's.
    await photo(editor);
    await post(`${url}api/style`, { id: 26001, cluster: 0 }); // a new version, not yet rendered
    const rendering = fetch(`${url}api/photo.png`);
    await new Promise((done) => setTimeout(done, 5));
    const painted = await post(`${url}api/paint`, {
      points: [[0, 1], [31, 1]],
      label: ROAD,
      size: 3,
    });
    equal(painted.json.changed, 3 * W);
    await (await rendering).body?.cancel();
    const after = await photo(editor);
    await post(`${url}api/undo`);
    await post(`${url}api/redo`);
    deepEqual(after, await photo(editor), "the photo after the paint is the painted scene's");
  });
});

Deno.test("editor server: answers only to its own Host (no DNS rebinding)", async () => {
  await withEditor(async (editor) => {
    const { port, session } = editor;
    const hosts = new RegExp(
      `Host must be 127\\.0\\.0\\.1:${port} or localhost:${port}: current value is attacker\\.example`,
    );
    for (const path of ["/api/state", "/", "/editor.js", "/api/photo.png"]) {
      const got = await raw(port, `GET ${path} HTTP/1.1\r\nHost: attacker.example`);
      equal(got.status, 403, path);
      match(JSON.parse(got.body).error, hosts);
    }
    const body = JSON.stringify({ id: 26001, label: TRUCK });
    const posted = await raw(
      port,
      `POST /api/relabel HTTP/1.1\r\nHost: attacker.example:${port}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}`,
      body,
    );
    equal(posted.status, 403);
    match(JSON.parse(posted.body).error, /current value is attacker\.example:\d+/);
    equal(session.version, 1);
    for (const host of [`127.0.0.1:${port + 1}`, "127.0.0.1", "localhost", `[::1]:${port}`]) {
      equal((await raw(port, `GET /api/state HTTP/1.1\r\nHost: ${host}`)).status, 403, host);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`]) {
      equal((await raw(port, `GET /api/state HTTP/1.1\r\nHost: ${host}`)).status, 200, host);
    }
  });
});

Deno.test("editor server: refuses requests another site's page could send", async () => {
  await withEditor(async (editor) => {
    const { url, port, session } = editor;
    const relabel = JSON.stringify({ id: 26001, label: TRUCK });
    const send = async (
      headers: Record<string, string>,
      body: BodyInit = relabel,
      path = "api/relabel",
    ) => {
      const response = await fetch(`${url}${path}`, { method: "POST", headers, body });
      return { status: response.status, json: await response.json() };
    };
    const forbidden = (request: Promise<{ status: number; json: Json }>, pattern: RegExp) =>
      refused(editor, request, pattern, 403);
    // Simple requests, which a browser sends cross-site without asking: JSON bodies must be
    // declared application/json.
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) {
      await forbidden(
        send({ "content-type": type }),
        new RegExp(
          `POST /api/relabel as its body must be declared application/json: current value is ${type}`,
        ),
      );
    }
    await forbidden(
      send({}, new TextEncoder().encode(relabel)),
      /body must be declared application\/json: current value is none/,
    );
    await forbidden(send({}, "", "api/undo"), /POST \/api\/undo .*application\/json/);
    // A foreign Origin or Sec-Fetch-Site, even with the right type.
    const json = { "content-type": "application/json" };
    for (const origin of ["http://evil.example", "null", `http://127.0.0.1:${port + 1}`]) {
      await forbidden(
        send({ ...json, origin }),
        new RegExp(`must come from the editor's page: current value is Origin ${origin}`),
      );
    }
    for (const site of ["cross-site", "same-site"]) {
      await forbidden(
        send({ ...json, "sec-fetch-site": site }),
        new RegExp(`current value is Sec-Fetch-Site ${site}`),
      );
    }
    const read = await fetch(`${url}api/state`, { headers: { "sec-fetch-site": "cross-site" } });
    equal(read.status, 403);
    match((await read.json()).error, /GET \/api\/state as it must come from the editor's page/);
    // Uploads must be declared image/png.
    const png = labelPng(W, H, new Uint8Array(W * H).fill(ROAD));
    for (const type of ["text/plain", "application/octet-stream"]) {
      await forbidden(
        send({ "content-type": type }, png as Uint8Array<ArrayBuffer>, "api/upload?name=x"),
        new RegExp(`upload as its body must be declared image/png: current value is ${type}`),
      );
    }
    await forbidden(
      send({}, png as Uint8Array<ArrayBuffer>, "api/upload?name=x"),
      /image\/png: current value is none/,
    );
    equal(session.sceneName, "street");

    // The page itself: same origin, by either local name.
    const ok1 = await send({
      ...json,
      origin: `http://127.0.0.1:${port}`,
      "sec-fetch-site": "same-origin",
    });
    equal(ok1.status, 200, JSON.stringify(ok1.json));
    equal(ok1.json.id, 27000);
    const ok2 = await send(
      { "content-type": "application/json; charset=utf-8", origin: `http://localhost:${port}` },
      JSON.stringify({ id: 27000, label: CAR }),
    );
    equal(ok2.status, 200, JSON.stringify(ok2.json));
    equal((await send({ ...json, "sec-fetch-site": "same-origin" }, "{}", "api/undo")).status, 200);
    const typed = await fetch(`${url}api/state`, { headers: { "sec-fetch-site": "none" } });
    equal(typed.status, 200);
    await typed.body?.cancel();
    // A link to the page from another site opens it.
    const linked = await fetch(url, { headers: { "sec-fetch-site": "cross-site" } });
    equal(linked.status, 200);
    await linked.body?.cancel();
  });
});

Deno.test("editor server: a known path with the wrong method answers 405 with Allow", async () => {
  await withEditor(async (editor) => {
    const { url } = editor;
    const cases: [string, string, string][] = [
      ["POST", "api/state", "GET"],
      ["GET", "api/relabel", "POST"],
      ["DELETE", "api/upload", "POST"],
      ["PUT", "api/save/label.png", "GET"],
      ["POST", "", "GET"],
      ["POST", "editor.js", "GET"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: method === "GET" ? undefined : "{}",
      });
      equal(response.status, 405, `${method} /${path}`);
      equal(response.headers.get("allow"), allow);
      deepEqual(await response.json(), {
        error:
          `Cannot serve ${method} /${path} as its method must be ${allow}: current value is ${method}`,
      });
    }
    equal(editor.session.version, 1);
    const missing = await getJson(`${url}api/nothing`);
    deepEqual(missing, { status: 404, json: { error: "No such request: GET /api/nothing" } });
    equal((await post(`${url}api/nothing`, {})).status, 404);
  });
});

const SMALL = { jsonLimit: 64, uploadLimit: 256, bodyTimeout: 30_000 };

Deno.test("editor server: bodies over the route's cap answer 413", async () => {
  await withEditor(async (editor) => {
    const { url, port } = editor;
    const tooLarge = (n: number | string) => new RegExp(`at most ${n} bytes: current value is`);
    // Under the cap: fine; over it: 413.
    equal((await post(`${url}api/relabel`, { id: 26001, label: TRUCK })).status, 200);
    await refused(
      editor,
      post(`${url}api/relabel`, { id: 27000, label: CAR, pad: "x".repeat(64) }),
      tooLarge(64),
      413,
    );
    // /api/add's cap grows by the base64 mask of the scene's size.
    const mask = new Uint8Array(W * H);
    mask.fill(1, 6 * W + 20, 6 * W + 24);
    const add = { mask: btoa(String.fromCharCode(...mask)), label: CAR, cluster: 1 };
    equal((await post(`${url}api/add`, add)).status, 200);
    const addCap = 64 + 4 * Math.ceil((W * H) / 3);
    await refused(
      editor,
      post(`${url}api/add`, { ...add, pad: "x".repeat(100) }),
      tooLarge(addCap),
      413,
    );
    // Uploads: 256 bytes here.
    const png = labelPng(W, H, new Uint8Array(W * H).fill(ROAD));
    ok(png.length <= 256, `${png.length}`);
    equal((await upload(editor, png, "small")).status, 200);
    const padded = new Uint8Array(257);
    padded.set(png);
    await refused(editor, upload(editor, padded, "padded"), tooLarge(256), 413);

    // A declared length over the cap is refused at once, before any body byte arrives.
    const head = (path: string, type: string, length: string) =>
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${type}\r\n${length}`;
    const declared = await raw(
      port,
      head("/api/upload?name=big", "image/png", "Content-Length: 1000000000"),
    );
    equal(declared.status, 413);
    match(JSON.parse(declared.body).error, /at most 256 bytes: current value is 1000000000 bytes/);
    // A chunked body is cut off as soon as it passes the cap, though it never ends.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(
        new TextEncoder().encode(
          head("/api/relabel", "application/json", "Transfer-Encoding: chunked") + "\r\n\r\n",
        ),
      );
      const chunk = `20\r\n${" ".repeat(32)}\r\n`;
      for (let i = 0; i < 3; i++) await conn.write(new TextEncoder().encode(chunk));
      const chunked = await readResponse(conn, 5_000);
      equal(chunked.status, 413);
      match(JSON.parse(chunked.body).error, /at most 64 bytes: current value is more than 64/);
    } finally {
      close(conn);
    }
  }, SMALL);
});

Deno.test("editor server: a stalled body answers 408 and holds up no other client", async () => {
  await withEditor(async (editor) => {
    const { url, port, session } = editor;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(
        new TextEncoder().encode(
          `POST /api/relabel HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
            `Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id": 26001,`,
        ),
      );
      let answeredAt = Infinity;
      // Settled either way, so that a failure below leaves no rejection unhandled.
      const stalled = readResponse(conn).then((response) => {
        answeredAt = performance.now();
        return response;
      }, (error: Error) => error);
      // Another client meanwhile, reading and editing.
      const signal = AbortSignal.timeout(5_000);
      const state = await fetch(`${url}api/state`, { signal });
      equal(state.status, 200);
      await state.body?.cancel();
      const paint = await fetch(`${url}api/paint`, {
        method: "POST",
        signal,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ points: [[0, 15]], label: SIDEWALK, size: 1 }),
      });
      equal(paint.status, 200);
      equal((await paint.json()).changed, 1);
      const othersDone = performance.now();
      const response = await stalled;
      if (response instanceof Error) throw response;
      ok(othersDone < answeredAt, "the other client was answered before the stalled one");
      equal(response.status, 408);
      match(
        JSON.parse(response.body).error,
        /body as it must arrive within 2 s: current value is 13 of 100 bytes/,
      );
      equal(session.version, 2); // the paint only
    } finally {
      close(conn);
    }
  }, { bodyTimeout: 2_000 });
});

/** A PNG chunk with its CRC. */
function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A gray 8-bit PNG of zeros: under 400 KB for 20000×20000, which decodes to 400 MB. */
async function zeroPng(width: number, height: number): Promise<Uint8Array> {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const stream = new CompressionStream("deflate");
  const compressed = new Response(stream.readable).arrayBuffer();
  const writer = stream.writable.getWriter();
  const rows = new Uint8Array((width + 1) * 100);
  for (let y = 0; y < height; y += 100) {
    await writer.write(rows.subarray(0, (width + 1) * Math.min(100, height - y)));
  }
  await writer.close();
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", new Uint8Array(await compressed)),
    pngChunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
  return out;
}

Deno.test("editor server: a PNG bomb is refused from its header, before decoding", async () => {
  await withEditor(async (editor) => {
    const size = /bomb\.png as the model edits 32×16 label maps: current size is 20000×20000/;
    const bomb = await zeroPng(20000, 20000);
    ok(bomb.length < 400_000, `${bomb.length} bytes`);
    // Its twin with the same header and damaged image data: were it decoded, the answer would
    // be "damaged", not the size.
    const twin = bomb.slice();
    twin.fill(0xff, 33 + 8 + 2, 33 + 8 + 2000);
    await refused(editor, upload(editor, twin, "bomb.png"), size);
    await refused(editor, upload(editor, bomb, "bomb.png"), size);
    equal(editor.session.sceneName, "street");
    // The scene's own size still decodes.
    equal((await upload(editor, await zeroPng(W, H), "zeros.png")).status, 200);
    equal(editor.session.sceneName, "zeros");
  });
});

Deno.test("editor server: upload names with control characters, quotes or slashes are refused", async () => {
  await withEditor(async (editor) => {
    const { url, session } = editor;
    const png = labelPng(W, H, new Uint8Array(W * H).fill(ROAD));
    for (
      const name of [
        "a\r\nb.png",
        'a"b.png',
        "a'b.png",
        "../a.png",
        "a/b.png",
        "a\\b.png",
        "a\0.png",
      ]
    ) {
      await refused(
        editor,
        upload(editor, png, name),
        new RegExp(
          `Cannot open the upload as its name must not hold control characters, quotes or slashes: current value is ${
            JSON.stringify(name).replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")
          }`,
        ),
      );
    }
    const saved = await fetch(`${url}api/save/label.png`);
    equal(saved.status, 200);
    equal(saved.headers.get("content-disposition"), 'attachment; filename="street_labelIds.png"');
    await saved.body?.cancel();
    // Other names are kept, and downloads carry them safely (a dataset's file names are not
    // checked like uploads).
    equal((await upload(editor, png, "Straße 1.png")).status, 200);
    equal(session.sceneName, "Straße 1");
    session.sceneName = 'odd "name"\r\n\\';
    for (const [path, suffix] of [["label", "labelIds"], ["photo", "synthesized"]]) {
      const response = await fetch(`${url}api/save/${path}.png`);
      equal(response.status, 200);
      equal(
        response.headers.get("content-disposition"),
        `attachment; filename="odd _name_____${suffix}.png"`,
      );
      await response.body?.cancel();
    }
    // A dataset scene's name ends with _labelIds: the downloads do not repeat it.
    session.sceneName = "frankfurt_000000_000294_gtFine_labelIds";
    for (const [path, suffix] of [["label", "labelIds"], ["photo", "synthesized"]]) {
      const response = await fetch(`${url}api/save/${path}.png`);
      equal(
        response.headers.get("content-disposition"),
        `attachment; filename="frankfurt_000000_000294_gtFine_${suffix}.png"`,
      );
      await response.body?.cancel();
    }
    session.sceneName = "Straße 1";
    const response = await fetch(`${url}api/save/label.png`);
    equal(
      response.headers.get("content-disposition"),
      `attachment; filename="Stra_e 1_labelIds.png"; filename*=UTF-8''Stra%C3%9Fe%201_labelIds.png`,
    );
    await response.body?.cancel();
  });
});

/**
 * The editor's JSON API over an {@linkcode EditorSession}, as `Request` in and `Response` out,
 * with no server and no runtime API: the local server (`lib/edit/server.ts`) puts its
 * guards in front of it, and a web page answers its own requests with it
 * ({@linkcode pageFetch}), so the same page script runs against either.
 *
 * | request | what |
 * | --- | --- |
 * | `GET /api/state` | size, classes and colours, scenes, undo/redo, version |
 * | `GET /api/label.png`, `/api/photo.png` | the coloured label map, the synthesized photo |
 * | `GET /api/object?x=&y=` | the object at a pixel |
 * | `GET /api/variants?id=` | the object under each of its class's clusters (PNG data URLs), and their `spread` |
 * | `POST /api/relabel {id, label}` | relabel an object |
 * | `POST /api/paint {points, label, size, shape?}` | a brush stroke (`"square"`, the default, or `"round"`) |
 * | `POST /api/fill {x, y, label}` | fill the region around a pixel with a class |
 * | `POST /api/add {mask (base64, H·W bytes), label, cluster?}` | add an object |
 * | `POST /api/style {id, cluster}` or `{id, vector}` | set an object's style |
 * | `POST /api/undo`, `/api/redo`, `/api/reset` (no body, or `{}`) | history |
 * | `POST /api/open {index}` | open a scene of the list |
 * | `POST /api/upload?name=` (`image/png` body) | open an uploaded label map |
 * | `GET /api/save/label.png`, `/api/save/photo.png` | downloads |
 *
 * A refused edit or a bad body is a 400 with JSON `{ "error": message }`, which the page shows.
 *
 * @module
 */

import { CITYSCAPES_LABELS } from "../data/cityscapes.ts";
import { encodePng } from "../data/png.ts";
import { colorizeLabels, encodeImage, labelColormap } from "../data/visuals.ts";
import { BRUSH_SHAPES, type BrushShape, type Point, type Style } from "./scene.ts";
import { EditError, type EditorSession } from "./session.ts";

/** An API path's method, and the type its body must declare. */
export interface Route {
  /** The method the path takes. */
  method: "GET" | "POST";
  /** The type a POST's body must declare. */
  body?: "application/json" | "image/png";
}

/** The API's paths. */
export const ROUTES: Record<string, Route> = {
  "/api/state": { method: "GET" },
  "/api/label.png": { method: "GET" },
  "/api/photo.png": { method: "GET" },
  "/api/save/label.png": { method: "GET" },
  "/api/save/photo.png": { method: "GET" },
  "/api/object": { method: "GET" },
  "/api/variants": { method: "GET" },
  "/api/relabel": { method: "POST", body: "application/json" },
  "/api/paint": { method: "POST", body: "application/json" },
  "/api/fill": { method: "POST", body: "application/json" },
  "/api/add": { method: "POST", body: "application/json" },
  "/api/style": { method: "POST", body: "application/json" },
  "/api/undo": { method: "POST", body: "application/json" },
  "/api/redo": { method: "POST", body: "application/json" },
  "/api/reset": { method: "POST", body: "application/json" },
  "/api/open": { method: "POST", body: "application/json" },
  "/api/upload": { method: "POST", body: "image/png" },
};

function png(rgb: Uint8Array, width: number, height: number, download?: string): Response {
  const headers: Record<string, string> = {
    "content-type": "image/png",
    "cache-control": "no-store",
  };
  if (download) headers["content-disposition"] = attachment(download);
  return new Response(encodeImage(rgb, width, height, "png") as Uint8Array<ArrayBuffer>, {
    headers,
  });
}

function dataUrl(rgb: Uint8Array, width: number, height: number): string {
  const bytes = encodeImage(rgb, width, height, "png");
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:image/png;base64,${btoa(text)}`;
}

function int(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new EditError(
      `Cannot use ${what} as it must be an integer: current value is ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Class names: Cityscapes' for 35 classes (id 34, outside Cityscapes' table, is the license
 * plate that pix2pixHD's colour map also gives its own colour), else "class N".
 */
export function classNames(labelNc: number): string[] {
  return Array.from(
    { length: labelNc },
    (_, i) => labelNc !== 35 ? `class ${i}` : CITYSCAPES_LABELS[i]?.name ?? "license plate",
  );
}

/**
 * Answers one API request whose body was read: `route` is `"METHOD /api/path"`. A refused edit
 * is a 400 with `{ error }`; any other error a 500.
 */
export async function handleApi(
  session: EditorSession,
  route: string,
  url: URL,
  body: Uint8Array,
): Promise<Response> {
  try {
    return await api(session, route, url, body);
  } catch (error) {
    if (error instanceof EditError) return refusal(400, error.message);
    console.error(error);
    return refusal(500, `Internal error: ${(error as Error).message}`);
  }
}

/** The body as a JSON object. */
function json(body: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (error) {
    // TextDecoder throws a TypeError for bytes that are not UTF-8.
    if (!(error instanceof SyntaxError || error instanceof TypeError)) throw error;
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  throw new EditError("Cannot read the request as its body must be a JSON object");
}

/** Checks that the body of a request without fields is empty or `{}`. */
function noFields(body: Uint8Array, route: string): void {
  if (body.length === 0) return;
  const fields = Object.keys(json(body));
  if (fields.length) {
    throw new EditError(
      `Cannot serve ${route} as it takes no fields: current value is ${fields.join(", ")}`,
    );
  }
}

function state(session: EditorSession): Record<string, unknown> {
  const s = session.scene;
  const labelNc = s.labelNc;
  const cmap = labelColormap(labelNc);
  return {
    width: s.width,
    height: s.height,
    scene: session.sceneName,
    scenes: session.sceneNames,
    version: session.version,
    canUndo: s.canUndo,
    canRedo: s.canRedo,
    features: !!s.clusters,
    classes: classNames(labelNc).map((name, id) => ({
      id,
      name,
      color: Array.from(cmap.subarray(id * 3, id * 3 + 3)),
      thing: s.isThing(id),
      clusters: s.clusters?.centres.get(id)?.length ?? 0,
    })),
  };
}

async function api(
  session: EditorSession,
  route: string,
  url: URL,
  body: Uint8Array,
): Promise<Response> {
  const s = () => session.scene;
  switch (route) {
    case "GET /api/state":
      return Response.json(state(session));
    case "GET /api/label.png":
      return png(colorizeLabels(s().label, s().labelNc), s().width, s().height);
    case "GET /api/photo.png":
      return png(await session.photo(), s().width, s().height);
    case "GET /api/save/label.png":
      return labelDownload(session);
    case "GET /api/save/photo.png":
      return png(
        await session.photo(),
        s().width,
        s().height,
        `${sceneStem(session.sceneName)}_synthesized.png`,
      );
    case "GET /api/object": {
      const [x, y] = ["x", "y"].map((k) => {
        const v = url.searchParams.get(k);
        if (!v || !/^\d+$/.test(v)) {
          throw new EditError(
            `Cannot find an object as ${k} must be a pixel index: current value is ${v}`,
          );
        }
        return Number(v);
      });
      let id: number;
      try {
        id = s().idAt([x, y]);
      } catch (error) {
        throw new EditError((error as Error).message);
      }
      return Response.json({ ...s().object(id), clusters: s().clusterCount(id) });
    }
    case "GET /api/variants": {
      const id = Number(url.searchParams.get("id"));
      const { box, images } = await session.variants(id);
      return Response.json({
        box,
        images: images.map((rgb) => dataUrl(rgb, box[2], box[3])),
        spread: styleSpread(images),
      });
    }
    case "POST /api/relabel": {
      const b = json(body);
      const id = session.relabel(int(b.id, "id"), int(b.label, "label"));
      return Response.json({ id, ...state(session) });
    }
    case "POST /api/paint": {
      const b = json(body);
      if (!Array.isArray(b.points)) {
        throw new EditError("Cannot paint as points must be a list of [x, y]");
      }
      const points = b.points.map((p, i) => {
        if (!Array.isArray(p) || p.length !== 2) {
          throw new EditError(
            `Cannot paint as point ${i} must be [x, y]: current value is ${JSON.stringify(p)}`,
          );
        }
        return [int(p[0], `point ${i}'s x`), int(p[1], `point ${i}'s y`)] as Point;
      });
      const shape = b.shape ?? "square";
      if (!BRUSH_SHAPES.includes(shape as BrushShape)) {
        throw new EditError(
          `Cannot paint as shape must be one of ${BRUSH_SHAPES.join(", ")}: current value is ${
            JSON.stringify(shape)
          }`,
        );
      }
      const changed = session.paint(
        points,
        int(b.label, "label"),
        int(b.size, "size"),
        shape as BrushShape,
      );
      return Response.json({ changed, ...state(session) });
    }
    case "POST /api/fill": {
      const b = json(body);
      const point: Point = [int(b.x, "x"), int(b.y, "y")];
      const changed = session.fill(point, int(b.label, "label"));
      return Response.json({ changed, ...state(session) });
    }
    case "POST /api/add": {
      const b = json(body);
      if (typeof b.mask !== "string") {
        throw new EditError("Cannot add an object as mask must be base64 text");
      }
      let mask: Uint8Array;
      try {
        mask = Uint8Array.from(atob(b.mask), (c) => c.charCodeAt(0));
      } catch {
        throw new EditError("Cannot add an object as its mask is not valid base64");
      }
      const style: Style | undefined = b.cluster === undefined
        ? undefined
        : { cluster: int(b.cluster, "cluster") };
      const id = session.addObject(mask, int(b.label, "label"), style);
      return Response.json({ id, ...state(session) });
    }
    case "POST /api/style": {
      const b = json(body);
      const id = int(b.id, "id");
      let style: Style;
      if (b.vector !== undefined) {
        if (!Array.isArray(b.vector) || !b.vector.every((v) => typeof v === "number")) {
          throw new EditError("Cannot set the style as vector must be a list of numbers");
        }
        style = { vector: b.vector as number[] };
      } else style = { cluster: int(b.cluster, "cluster") };
      session.setStyle(id, style);
      return Response.json(state(session));
    }
    case "POST /api/undo":
      noFields(body, route);
      return Response.json({ done: session.undo(), ...state(session) });
    case "POST /api/redo":
      noFields(body, route);
      return Response.json({ done: session.redo(), ...state(session) });
    case "POST /api/reset":
      noFields(body, route);
      session.reset();
      return Response.json(state(session));
    case "POST /api/open": {
      const b = json(body);
      await session.open(int(b.index, "index"));
      return Response.json(state(session));
    }
    case "POST /api/upload": {
      session.upload(body, url.searchParams.get("name") || "the upload");
      return Response.json(state(session));
    }
    default:
      throw new Error(`Cannot serve ${route} as no case handles it`);
  }
}

/**
 * A scene's name without the `_labelIds` its label file ends with, so that downloads are named
 * `<stem>_labelIds.png` (the name the loader reads back), not `…_labelIds_labelIds.png`.
 */
function sceneStem(name: string): string {
  return name.replace(/_labelIds$/, "");
}

/**
 * How far apart an object's style previews are: the largest mean absolute difference per byte
 * between two of them (0 to 255; 0 for fewer than two). The page says the styles look nearly the
 * same when it is small.
 */
function styleSpread(images: readonly Uint8Array[]): number {
  let spread = 0;
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      let s = 0;
      for (let p = 0; p < images[i].length; p++) s += Math.abs(images[i][p] - images[j][p]);
      spread = Math.max(spread, s / images[i].length);
    }
  }
  return spread;
}

function labelDownload(session: EditorSession): Response {
  const s = session.scene;
  // The label ids as a one-channel PNG, the format the data loader and upload read.
  const bytes = encodePng({ width: s.width, height: s.height, channels: 1, data: s.label });
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: {
      "content-type": "image/png",
      "content-disposition": attachment(`${sceneStem(session.sceneName)}_labelIds.png`),
    },
  });
}

/**
 * A Content-Disposition for downloading as `filename`: control characters, quotes and slashes
 * become `_`; a name beyond printable ASCII also comes percent-encoded (RFC 6266's filename*).
 */
function attachment(filename: string): string {
  const safe = filename.replace(/[\p{Cc}"\\/]/gu, "_");
  const ascii = safe.replace(/[^\x20-\x7e]/g, "_");
  if (ascii === safe) return `attachment; filename="${safe}"`;
  const encoded = encodeURIComponent(safe).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** A JSON refusal `{ error }` with an HTTP status. */
export function refusal(status: number, error: string, headers?: HeadersInit): Response {
  return Response.json({ error }, { status, headers });
}

/**
 * A `fetch` for a page that edits in itself: it answers the API's requests from `session`, one
 * at a time in the order made, with the server's statuses for an unknown path (404) or method
 * (405); nothing leaves the page.
 *
 * @example
 * ```ts ignore
 * const fetchApi = pageFetch(session);
 * const state = await (await fetchApi(new Request("http://page/api/state"))).json();
 * ```
 */
export function pageFetch(session: EditorSession): (request: Request) => Promise<Response> {
  let queue: Promise<unknown> = Promise.resolve();
  return async (request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    const route = ROUTES[path];
    if (!route) return refusal(404, `No such request: ${request.method} ${path}`);
    if (request.method !== route.method) {
      return refusal(
        405,
        `Cannot serve ${request.method} ${path} as its method must be ${route.method}: current value is ${request.method}`,
        { allow: route.method },
      );
    }
    const body = new Uint8Array(await request.arrayBuffer());
    const next = queue.then(() => handleApi(session, `${request.method} ${path}`, url, body));
    queue = next.catch(() => {});
    return await next;
  };
}

/**
 * The editor's web server: the page and its script from `lib/edit/static/`, and a small JSON
 * API over an {@linkcode EditorSession}. It listens on 127.0.0.1 only and handles one request
 * at a time (synthesis runs on the one GPU device). Refused edits and bad uploads answer 400
 * with `{ "error": message }`, which the page shows.
 *
 * | request | what |
 * | --- | --- |
 * | `GET /api/state` | size, classes and colours, scenes, undo/redo, version |
 * | `GET /api/label.png`, `/api/photo.png` | the coloured label map, the synthesized photo |
 * | `GET /api/object?x=&y=` | the object at a pixel |
 * | `GET /api/variants?id=` | the object under each of its class's clusters (PNG data URLs) |
 * | `POST /api/relabel {id, label}` | relabel an object |
 * | `POST /api/paint {points, label, size}` | a brush stroke |
 * | `POST /api/add {mask (base64, H·W bytes), label, cluster?}` | add an object |
 * | `POST /api/style {id, cluster}` or `{id, vector}` | set an object's style |
 * | `POST /api/undo`, `/api/redo`, `/api/reset` | history |
 * | `POST /api/open {index}` | open a scene of the list |
 * | `POST /api/upload` (PNG body) | open an uploaded label map |
 * | `GET /api/save/label.png`, `/api/save/photo.png` | downloads |
 *
 * @module
 */

import { normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { CITYSCAPES_LABELS } from "../data/cityscapes.ts";
import { colorizeLabels, encodeImage, labelColormap } from "../app/visuals.ts";
import { encodePng } from "../data/png.ts";
import { EditError, type EditorSession } from "./session.ts";
import type { Point, Style } from "./scene.ts";

/** The folder of the page's files. */
export const STATIC_DIR: string = fileURLToPath(new URL("./static/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
};

/**
 * The file under `root` that a URL path names, or undefined when it would lie outside `root`
 * (`..`, encoded or not, absolute paths, backslashes, NUL).
 */
export function staticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const rel = normalize(decoded === "/" ? "index.html" : decoded.replace(/^\/+/, ""));
  if (rel.startsWith("..") || rel.startsWith("/")) return undefined;
  const base = resolve(root);
  const full = resolve(base, rel);
  return full.startsWith(base + sep) ? full : undefined;
}

async function serveStatic(root: string, urlPath: string): Promise<Response> {
  const path = staticPath(root, urlPath);
  const type = path && TYPES[path.slice(path.lastIndexOf("."))];
  if (!path || !type) return new Response("not found", { status: 404 });
  try {
    return new Response(await Deno.readFile(path), {
      headers: { "content-type": type, "cache-control": "no-store" },
    });
  } catch {
    return new Response("not found", { status: 404 });
  }
}

function png(rgb: Uint8Array, width: number, height: number, download?: string): Response {
  const headers: Record<string, string> = {
    "content-type": "image/png",
    "cache-control": "no-store",
  };
  if (download) headers["content-disposition"] = `attachment; filename="${download}"`;
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

/** Options of {@linkcode serveEditor}. */
export interface ServeOptions {
  /** The port (0: any free one). */
  port?: number;
  /** Folder of the page's files (default {@linkcode STATIC_DIR}). */
  staticDir?: string;
  /** Called once listening, with the page's URL. */
  onListen?: (url: string) => void;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
}

/** Starts the editor's server on 127.0.0.1; see the module doc. */
export function serveEditor(session: EditorSession, options: ServeOptions = {}): Deno.HttpServer {
  const root = options.staticDir ?? STATIC_DIR;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = (request: Request): Promise<Response> => {
    const next = queue.then(() => handle(session, root, request));
    queue = next.catch(() => {});
    return next;
  };
  return Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    signal: options.signal,
    onListen: ({ port }) => options.onListen?.(`http://127.0.0.1:${port}/`),
  }, serial);
}

async function handle(session: EditorSession, root: string, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  if (!path.startsWith("/api/")) {
    if (request.method !== "GET") return new Response("method not allowed", { status: 405 });
    return await serveStatic(root, path);
  }
  try {
    return await api(session, request, url);
  } catch (error) {
    if (error instanceof EditError) return Response.json({ error: error.message }, { status: 400 });
    console.error(error);
    return Response.json({ error: `Internal error: ${(error as Error).message}` }, { status: 500 });
  }
}

async function body(request: Request): Promise<Record<string, unknown>> {
  try {
    const value = await request.json();
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new EditError("Cannot read the request as its body must be a JSON object");
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

async function api(session: EditorSession, request: Request, url: URL): Promise<Response> {
  const route = `${request.method} ${url.pathname}`;
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
        `${session.sceneName}_synthesized.png`,
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
      return Response.json({ box, images: images.map((rgb) => dataUrl(rgb, box[2], box[3])) });
    }
    case "POST /api/relabel": {
      const b = await body(request);
      const id = session.relabel(int(b.id, "id"), int(b.label, "label"));
      return Response.json({ id, ...state(session) });
    }
    case "POST /api/paint": {
      const b = await body(request);
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
      const changed = session.paint(points, int(b.label, "label"), int(b.size, "size"));
      return Response.json({ changed, ...state(session) });
    }
    case "POST /api/add": {
      const b = await body(request);
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
      const b = await body(request);
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
      return Response.json({ done: session.undo(), ...state(session) });
    case "POST /api/redo":
      return Response.json({ done: session.redo(), ...state(session) });
    case "POST /api/reset":
      session.reset();
      return Response.json(state(session));
    case "POST /api/open": {
      const b = await body(request);
      await session.open(int(b.index, "index"));
      return Response.json(state(session));
    }
    case "POST /api/upload": {
      const name = url.searchParams.get("name") || "the upload";
      const bytes = new Uint8Array(await request.arrayBuffer());
      session.upload(bytes, name);
      return Response.json(state(session));
    }
    default:
      return Response.json({ error: `No such request: ${route}` }, { status: 404 });
  }
}

function labelDownload(session: EditorSession): Response {
  const s = session.scene;
  // The label ids as a one-channel PNG, the format the data loader and upload read.
  const bytes = encodePng({ width: s.width, height: s.height, channels: 1, data: s.label });
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: {
      "content-type": "image/png",
      "content-disposition": `attachment; filename="${session.sceneName}_labelIds.png"`,
    },
  });
}

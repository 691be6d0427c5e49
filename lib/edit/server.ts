/**
 * The editor's web server: the page and its script from `lib/edit/static/`, and a small JSON
 * API over an {@linkcode EditorSession}. Edits and synthesis run one request at a time (on the
 * one GPU device); a request's body is read, within its cap and deadline, before it joins that
 * queue, so a slow client holds up no one else.
 *
 * It is for the user's own browser on this machine only:
 * - it listens on 127.0.0.1, and answers only requests whose Host is `127.0.0.1:PORT` or
 *   `localhost:PORT`, so a page on another name that resolves to 127.0.0.1 (DNS rebinding)
 *   gets nothing;
 * - every `/api/` request with an Origin other than the editor's own, or a Sec-Fetch-Site other
 *   than `same-origin` or `none`, is refused, and every POST must declare its body's type
 *   (`application/json`; `image/png` for uploads), which a page elsewhere cannot send without
 *   the browser asking first (a preflight the server never grants);
 * - bodies are capped ({@linkcode JSON_LIMIT}, plus the base64 mask of the scene's size for
 *   `/api/add`; {@linkcode UPLOAD_LIMIT} for uploads): a declared Content-Length over the cap
 *   is refused without reading, a streamed body as soon as it passes it; a body must arrive
 *   within {@linkcode BODY_TIMEOUT} ms;
 * - an upload's size is checked from its PNG header before decoding; its name may not hold
 *   control characters, quotes or slashes, and download file names are made safe.
 *
 * Every refusal is JSON `{ "error": message }`, which the page shows: 400 for a refused edit or
 * a bad body, 403 for a foreign Host, Origin, Sec-Fetch-Site or body type, 404 for an unknown
 * path, 405 (with `Allow`) for a known path with another method, 408 for a body too slow, 413
 * for a body too large.
 *
 * The API itself, and what each request does, is `lib/edit/api.ts`.
 *
 * @module
 */

import { posix, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { handleApi, refusal, ROUTES } from "./api.ts";
import { hostRefusal, localHosts, originRefusal, readBody, typeRefusal } from "./guard.ts";
import type { EditorSession } from "./session.ts";

/** The page's files, beside this module: a folder, or a URL when imported over https. */
const STATIC_ROOT = new URL("./static/", import.meta.url);

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
  const rel = staticRelative(urlPath);
  if (!rel) return undefined;
  const base = resolve(root);
  const full = resolve(base, rel);
  return full.startsWith(base + sep) ? full : undefined;
}

async function serveStatic(root: string | URL, urlPath: string): Promise<Response> {
  const missing = () => refusal(404, "No such file among the page's files");
  let bytes: Uint8Array | undefined;
  let type: string | undefined;
  if (typeof root === "string" || root.protocol === "file:") {
    const path = staticPath(typeof root === "string" ? root : fileURLToPath(root), urlPath);
    type = path && TYPES[path.slice(path.lastIndexOf("."))];
    if (!path || !type) return missing();
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
        return missing();
      }
      throw error;
    }
  } else {
    // The package imported over https: the files are fetched beside this module.
    const rel = staticRelative(urlPath);
    type = rel && TYPES[rel.slice(rel.lastIndexOf("."))];
    if (!rel || !type) return missing();
    const response = await fetch(new URL(rel, root));
    if (!response.ok) {
      await response.body?.cancel();
      return missing();
    }
    bytes = new Uint8Array(await response.arrayBuffer());
  }
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": type, "cache-control": "no-store" },
  });
}

/**
 * The relative path a URL path names under the page's root, or undefined when it would leave
 * it (as {@linkcode staticPath}, for a root that is a URL).
 */
function staticRelative(urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const rel = posix.normalize(decoded === "/" ? "index.html" : decoded.replace(/^\/+/, ""));
  return rel.startsWith("..") || rel.startsWith("/") || rel === "." ? undefined : rel;
}

/** The default cap of a JSON body, in bytes (1 MiB). */
export const JSON_LIMIT: number = 1 << 20;
/** The default cap of an uploaded label map, in bytes (32 MiB). */
export const UPLOAD_LIMIT: number = 32 << 20;
/** The default time a request's body may take to arrive, in milliseconds (10 s). */
export const BODY_TIMEOUT: number = 10_000;

/** Options of {@linkcode serveEditor}. */
export interface ServeOptions {
  /** The port (0: any free one). */
  port?: number;
  /** Folder of the page's files (default: `static/` beside this module). */
  staticDir?: string;
  /** Called once listening, with the page's URL. */
  onListen?: (url: string) => void;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
  /** Cap of a JSON body in bytes (default {@linkcode JSON_LIMIT}); `/api/add` adds its mask's. */
  jsonLimit?: number;
  /** Cap of an upload's body in bytes (default {@linkcode UPLOAD_LIMIT}). */
  uploadLimit?: number;
  /** Milliseconds a body may take to arrive (default {@linkcode BODY_TIMEOUT}). */
  bodyTimeout?: number;
}

function wrongMethod(method: string, path: string, allow: string): Response {
  return refusal(
    405,
    `Cannot serve ${method} ${path} as its method must be ${allow}: current value is ${method}`,
    { allow },
  );
}

/** Starts the editor's server on 127.0.0.1; see the module doc. */
export function serveEditor(session: EditorSession, options: ServeOptions = {}): Deno.HttpServer {
  const root: string | URL = options.staticDir ?? STATIC_ROOT;
  const jsonLimit = options.jsonLimit ?? JSON_LIMIT;
  const uploadLimit = options.uploadLimit ?? UPLOAD_LIMIT;
  const timeout = options.bodyTimeout ?? BODY_TIMEOUT;
  let hosts: string[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  const serial = (task: () => Promise<Response>): Promise<Response> => {
    const next = queue.then(task);
    // The caller gets the task's error; the queue only waits for the task to end.
    queue = next.catch(() => {});
    return next;
  };
  const limit = (path: string, type: string): number => {
    if (type === "image/png") return uploadLimit;
    if (path !== "/api/add") return jsonLimit;
    const { width, height } = session.scene;
    return jsonLimit + 4 * Math.ceil((width * height) / 3);
  };

  const respond = async (request: Request): Promise<Response> => {
    const foreignHost = hostRefusal(request, hosts);
    if (foreignHost) return refusal(403, foreignHost);
    const url = new URL(request.url);
    const path = url.pathname;
    if (!path.startsWith("/api/")) {
      if (request.method !== "GET") return wrongMethod(request.method, path, "GET");
      return await serveStatic(root, path);
    }
    const foreignOrigin = originRefusal(request, hosts);
    if (foreignOrigin) return refusal(403, foreignOrigin);
    const route = ROUTES[path];
    if (!route) return refusal(404, `No such request: ${request.method} ${path}`);
    if (request.method !== route.method) return wrongMethod(request.method, path, route.method);
    let body: Uint8Array = new Uint8Array(0);
    if (route.body) {
      const wrongType = typeRefusal(request, route.body);
      if (wrongType) return refusal(403, wrongType);
      try {
        body = await readBody(request, { limit: limit(path, route.body), timeout });
      } catch (error) {
        if (error instanceof RangeError) return refusal(413, error.message);
        if (error instanceof Deno.errors.TimedOut) return refusal(408, error.message);
        return refusal(400, `Cannot read the request's body: current value is ${error}`);
      }
    }
    return await serial(() => handleApi(session, `${request.method} ${path}`, url, body));
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    signal: options.signal,
    onListen: ({ port }) => options.onListen?.(`http://127.0.0.1:${port}/`),
    onError: (error) => {
      console.error(error);
      return refusal(500, `Internal error: ${(error as Error).message}`);
    },
  }, respond);
  hosts = localHosts((server.addr as Deno.NetAddr).port);
  return server;
}

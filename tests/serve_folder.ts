/**
 * A static file server for the browser tests and the README's screenshots.
 *
 * @module
 */
import { join } from "node:path";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript",
  css: "text/css",
  json: "application/json",
  png: "image/png",
};

/** A static server of `root` on 127.0.0.1 that logs every request's method and path. */
export function serveFolder(
  root: string,
): { url: string; log: string[]; server: Deno.HttpServer } {
  const log: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    const path = new URL(r.url).pathname;
    log.push(`${r.method} ${path}`);
    const name = path === "/" ? "index.html" : decodeURIComponent(path.slice(1));
    if (name.split("/").includes("..")) return new Response("no", { status: 404 });
    try {
      const body = await Deno.readFile(join(root, name));
      const type = TYPES[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream";
      return new Response(r.method === "HEAD" ? null : body, { headers: { "content-type": type } });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}/`, log, server };
}

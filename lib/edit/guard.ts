/**
 * The checks that keep the editor's server local: a request must name the server by its
 * loopback address (against DNS rebinding), must not come from another site's page (Origin,
 * Sec-Fetch-Site), must declare its body's type (a type a page elsewhere cannot send without
 * the browser asking first), and its body is read with a byte cap and a deadline.
 *
 * @module
 */

import { concatChunks } from "../io/chunks.ts";

/**
 * The Host values that name a server on 127.0.0.1 at `port`: `127.0.0.1:PORT` and
 * `localhost:PORT` (also without the port when it is 80).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { localHosts } from "./guard.ts";
 *
 * deepEqual(localHosts(8000), ["127.0.0.1:8000", "localhost:8000"]);
 * ```
 *
 * @param port The port the server listens on.
 * @returns The Host values, lower case.
 */
export function localHosts(port: number): string[] {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  return port === 80 ? [...hosts, "127.0.0.1", "localhost"] : hosts;
}

/**
 * Why a request's Host is not one of `hosts`, or undefined when it is. A page on another name
 * that resolves to 127.0.0.1 (DNS rebinding) sends its own name as Host.
 *
 * @example
 * ```ts
 * import { equal, match } from "node:assert/strict";
 * import { hostRefusal, localHosts } from "./guard.ts";
 *
 * const hosts = localHosts(8000);
 * const own = new Request("http://localhost:8000/", { headers: { host: "localhost:8000" } });
 * equal(hostRefusal(own, hosts), undefined);
 * const other = new Request("http://evil.example:8000/", { headers: { host: "evil.example:8000" } });
 * match(hostRefusal(other, hosts)!, /current value is evil\.example:8000/);
 * ```
 *
 * @param request The request.
 * @param hosts The accepted Host values, lower case ({@linkcode localHosts}).
 * @returns The refusal's message, or undefined.
 */
export function hostRefusal(request: Request, hosts: readonly string[]): string | undefined {
  const host = request.headers.get("host");
  if (host !== null && hosts.includes(host.toLowerCase())) return undefined;
  return `Cannot serve the request as its Host must be ${hosts.slice(0, 2).join(" or ")}: ` +
    `current value is ${host ?? "none"}`;
}

/**
 * Why a request seems sent by another site's page, or undefined when it does not: an Origin
 * other than `http://` and one of `hosts`, or a Sec-Fetch-Site other than `same-origin` and
 * `none` (typed by the user). Clients that send neither, such as scripts, pass.
 *
 * @example
 * ```ts
 * import { equal, match } from "node:assert/strict";
 * import { localHosts, originRefusal } from "./guard.ts";
 *
 * const hosts = localHosts(8000);
 * const page = new Request("http://127.0.0.1:8000/api/undo", {
 *   method: "POST",
 *   headers: { origin: "http://127.0.0.1:8000", "sec-fetch-site": "same-origin" },
 * });
 * equal(originRefusal(page, hosts), undefined);
 * const other = new Request("http://127.0.0.1:8000/api/undo", {
 *   method: "POST",
 *   headers: { "sec-fetch-site": "cross-site" },
 * });
 * match(originRefusal(other, hosts)!, /current value is Sec-Fetch-Site cross-site/);
 * ```
 *
 * @param request The request.
 * @param hosts The accepted Host values, lower case ({@linkcode localHosts}).
 * @returns The refusal's message, or undefined.
 */
export function originRefusal(request: Request, hosts: readonly string[]): string | undefined {
  const origin = request.headers.get("origin");
  const site = request.headers.get("sec-fetch-site");
  let value: string | undefined;
  if (origin !== null && !hosts.some((host) => origin.toLowerCase() === `http://${host}`)) {
    value = `Origin ${origin}`;
  } else if (site !== null && site !== "same-origin" && site !== "none") {
    value = `Sec-Fetch-Site ${site}`;
  }
  if (value === undefined) return undefined;
  const { pathname } = new URL(request.url);
  return `Cannot serve ${request.method} ${pathname} as it must come from the editor's page: ` +
    `current value is ${value}`;
}

/**
 * Why a request's body is not declared as `type` (its Content-Type, parameters aside), or
 * undefined when it is. `application/json` and `image/png` are not types a form or a simple
 * cross-site `fetch` may send, so another site's page cannot send them without the browser
 * first asking the server, which never agrees.
 *
 * @example
 * ```ts
 * import { equal, match } from "node:assert/strict";
 * import { typeRefusal } from "./guard.ts";
 *
 * const json = { "content-type": "application/json; charset=utf-8" };
 * const ok = new Request("http://127.0.0.1/api/open", { method: "POST", headers: json });
 * equal(typeRefusal(ok, "application/json"), undefined);
 * const text = new Request("http://127.0.0.1/api/open", { method: "POST", body: "{}" });
 * match(typeRefusal(text, "application/json")!, /current value is text\/plain/);
 * ```
 *
 * @param request The request.
 * @param type The media type its body must have.
 * @returns The refusal's message, or undefined.
 */
export function typeRefusal(request: Request, type: string): string | undefined {
  const declared = request.headers.get("content-type");
  const media = declared?.split(";")[0].trim().toLowerCase();
  if (media === type) return undefined;
  const { pathname } = new URL(request.url);
  return `Cannot serve ${request.method} ${pathname} as its body must be declared ${type}: ` +
    `current value is ${media || "none"}`;
}

/** Options of {@linkcode readBody}. */
export interface ReadBodyOptions {
  /** The most bytes the body may have. */
  limit: number;
  /** Milliseconds the whole body may take to arrive. */
  timeout: number;
}

/**
 * Reads a request's body, refusing it as soon as it is known to exceed `limit` bytes: at once
 * for a declared Content-Length, while it streams otherwise. Throws a `RangeError` for a body
 * too large and `Deno.errors.TimedOut` for one not complete within `timeout` ms; either way the
 * rest of the body is not read.
 *
 * @example
 * ```ts
 * import { equal, rejects } from "node:assert/strict";
 * import { readBody } from "./guard.ts";
 *
 * const request = (body: string) => new Request("http://127.0.0.1/", { method: "POST", body });
 * equal((await readBody(request("{}"), { limit: 2, timeout: 1000 })).length, 2);
 * await rejects(() => readBody(request("{ }"), { limit: 2, timeout: 1000 }), RangeError);
 * ```
 *
 * @param request The request.
 * @param options The byte cap and the deadline.
 * @returns The body's bytes.
 */
export async function readBody(request: Request, options: ReadBodyOptions): Promise<Uint8Array> {
  const { limit, timeout } = options;
  const what = "Cannot read the request's body as it must";
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    throw new RangeError(`${what} be at most ${limit} bytes: current value is ${declared} bytes`);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const of = declared === null ? "" : ` of ${declared}`;
      reject(
        new Deno.errors.TimedOut(
          `${what} arrive within ${timeout / 1000} s: current value is ${total}${of} bytes`,
        ),
      );
    }, timeout);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), deadline]);
      if (done) break;
      total += value.length;
      if (total > limit) {
        throw new RangeError(
          `${what} be at most ${limit} bytes: current value is more than ${limit} bytes`,
        );
      }
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return concatChunks(chunks);
}

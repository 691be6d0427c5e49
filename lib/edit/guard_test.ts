import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { hostRefusal, localHosts, originRefusal, readBody, typeRefusal } from "./guard.ts";

const HOSTS = localHosts(8123);

function request(headers: Record<string, string>, init: RequestInit = {}): Request {
  return new Request("http://127.0.0.1:8123/api/paint", { ...init, headers });
}

Deno.test("localHosts: the loopback names with the port, and without it for port 80", () => {
  deepEqual(HOSTS, ["127.0.0.1:8123", "localhost:8123"]);
  deepEqual(localHosts(80), ["127.0.0.1:80", "localhost:80", "127.0.0.1", "localhost"]);
});

Deno.test("hostRefusal: the server's own names only, in any case", () => {
  for (const host of ["127.0.0.1:8123", "localhost:8123", "LOCALHOST:8123"]) {
    equal(hostRefusal(request({ host }), HOSTS), undefined, host);
  }
  for (const host of ["evil.example", "evil.example:8123", "127.0.0.1", "127.0.0.2:8123"]) {
    equal(
      hostRefusal(request({ host }), HOSTS),
      "Cannot serve the request as its Host must be 127.0.0.1:8123 or localhost:8123: " +
        `current value is ${host}`,
    );
  }
  match(hostRefusal(request({}), HOSTS)!, /current value is none$/);
});

Deno.test("originRefusal: the editor's own origin, or no browser at all", () => {
  const pass: Record<string, string>[] = [
    {},
    { origin: "http://127.0.0.1:8123" },
    { origin: "http://localhost:8123", "sec-fetch-site": "same-origin" },
    { "sec-fetch-site": "none" },
  ];
  for (const headers of pass) equal(originRefusal(request(headers), HOSTS), undefined);
  const refuse: [Record<string, string>, string][] = [
    [{ origin: "http://evil.example" }, "Origin http://evil.example"],
    [{ origin: "null" }, "Origin null"],
    [{ origin: "https://127.0.0.1:8123" }, "Origin https://127.0.0.1:8123"],
    [{ origin: "http://127.0.0.1:8124" }, "Origin http://127.0.0.1:8124"],
    [{ "sec-fetch-site": "cross-site" }, "Sec-Fetch-Site cross-site"],
    [{ "sec-fetch-site": "same-site" }, "Sec-Fetch-Site same-site"],
    [
      { origin: "http://127.0.0.1:8123", "sec-fetch-site": "cross-site" },
      "Sec-Fetch-Site cross-site",
    ],
  ];
  for (const [headers, value] of refuse) {
    equal(
      originRefusal(request(headers, { method: "POST" }), HOSTS),
      `Cannot serve POST /api/paint as it must come from the editor's page: current value is ${value}`,
    );
  }
});

Deno.test("typeRefusal: the media type, parameters aside", () => {
  const json = "application/json";
  for (const type of [json, "application/json; charset=utf-8", "Application/JSON"]) {
    equal(typeRefusal(request({ "content-type": type }), json), undefined, type);
  }
  for (const type of ["text/plain", "application/jsonx", "multipart/form-data; boundary=x"]) {
    match(
      typeRefusal(request({ "content-type": type }), json)!,
      new RegExp(`GET /api/paint as its body must be declared application/json: current value is`),
    );
  }
  match(typeRefusal(request({}), "image/png")!, /declared image\/png: current value is none$/);
});

/** A request whose body yields `chunks`, then stays open until `signal` is aborted. */
function streamed(chunks: string[], headers: Record<string, string> = {}, stall = false) {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[pulled++]));
      else if (!stall) controller.close();
      else return new Promise(() => {}); // no more bytes, and no end
    },
  });
  return new Request("http://127.0.0.1:8123/api/paint", { method: "POST", body, headers });
}

Deno.test("readBody: the whole body under the cap", async () => {
  const body = await readBody(streamed(["ab", "cd", "e"]), { limit: 5, timeout: 1000 });
  equal(new TextDecoder().decode(body), "abcde");
  equal(
    (await readBody(new Request("http://127.0.0.1/"), { limit: 0, timeout: 1000 })).length,
    0,
  );
});

Deno.test("readBody: a declared length over the cap is refused before reading", async () => {
  let pulled = false;
  // highWaterMark 0: the stream is pulled only when read.
  const body = new ReadableStream({
    pull() {
      pulled = true;
    },
  }, { highWaterMark: 0 });
  const request = new Request("http://127.0.0.1/", {
    method: "POST",
    body,
    headers: { "content-length": "1000" },
  });
  await rejects(() => readBody(request, { limit: 999, timeout: 1000 }), {
    name: "RangeError",
    message: "Cannot read the request's body as it must be at most 999 bytes: " +
      "current value is 1000 bytes",
  });
  ok(!pulled, "no byte was read");
});

Deno.test("readBody: a streamed body is cut off as it passes the cap", async () => {
  // It never ends: only the cap can stop the read.
  await rejects(
    () => readBody(streamed(["ab", "cd", "ef"], {}, true), { limit: 5, timeout: 60_000 }),
    {
      name: "RangeError",
      message: "Cannot read the request's body as it must be at most 5 bytes: " +
        "current value is more than 5 bytes",
    },
  );
});

Deno.test("readBody: a body not complete within the timeout", async () => {
  const started = performance.now();
  await rejects(
    () => readBody(streamed(["ab"], { "content-length": "10" }, true), { limit: 10, timeout: 200 }),
    (error: Error) => {
      ok(error instanceof Deno.errors.TimedOut, String(error));
      equal(
        error.message,
        "Cannot read the request's body as it must arrive within 0.2 s: " +
          "current value is 2 of 10 bytes",
      );
      return true;
    },
  );
  ok(performance.now() - started >= 190);
});

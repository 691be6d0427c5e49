/**
 * The scene editor's local server (Deno): the editor's page and its API on 127.0.0.1, for the
 * user's own browser only. `cli/edit.ts` starts it for a trained run; the page itself can also
 * run without a server (see `pageFetch` in the main entry and `deno task web`).
 *
 * @example
 * ```ts ignore
 * import { EditorSession } from "@pix2pixhd/pix2pixhd";
 * import { serveEditor } from "@pix2pixhd/pix2pixhd/server";
 * const server = serveEditor(session, { onListen: (url) => console.log(url) });
 * ```
 *
 * @module
 */
export {
  BODY_TIMEOUT,
  JSON_LIMIT,
  serveEditor,
  type ServeOptions,
  UPLOAD_LIMIT,
} from "./lib/edit/server.ts";

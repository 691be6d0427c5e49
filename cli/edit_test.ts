import { deepEqual, equal, ok } from "node:assert/strict";
import { edit } from "../lib/app/edit.ts";
import { parseOptions } from "../lib/app/options.ts";
import { gpu } from "../tests/check.ts";
import { bundledArgs } from "./edit.ts";

Deno.test({
  name: "deno task edit without flags opens the model in the repository on the sample scenes",
  sanitizeResources: false,
  async fn() {
    await gpu();
    const args = bundledArgs();
    ok(args, "models/street_small is in the checkout");
    const stop = new AbortController();
    const editor = await edit(parseOptions("edit", args), { signal: stop.signal, print: () => {} });
    try {
      equal(editor.options.name, "street_small");
      deepEqual(editor.session.sceneNames, [
        "synth_000000_000019_gtFine_labelIds",
        "synth_000001_000019_gtFine_labelIds",
      ]);
      const photo = await editor.session.photo();
      equal(photo.length, 3 * 256 * 128);
      // Its cars have styles to choose from: the clusters encoded from the training scenes.
      const scene = editor.session.scene;
      const cars = scene.ids().filter((id) => scene.object(id)!.label === 26);
      ok(cars.length > 0, "the first test scene has cars");
      ok(scene.clusterCount(cars[0]) >= 2, `${scene.clusterCount(cars[0])} car clusters`);
    } finally {
      stop.abort();
      await editor.server.finished;
      editor.dispose();
    }
  },
});

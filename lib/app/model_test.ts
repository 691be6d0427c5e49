import { equal, throws } from "node:assert/strict";
import { withSavedArchitecture } from "./model.ts";
import { parseOptions, readOptJson } from "./options.ts";

Deno.test("withSavedArchitecture takes the saved flags of their type and refuses others", () => {
  const { options, given } = parseOptions("test", []);
  const saved = readOptJson('{"ngf": 32, "netG": "local", "name": "other"}', "run/opt.json");
  const merged = withSavedArchitecture(options, given, saved, "run/opt.json");
  equal(merged.ngf, 32);
  equal(merged.netG, "local");
  equal(merged.name, options.name);
  throws(
    () => withSavedArchitecture(options, given, readOptJson('{"ngf": "32"}', "o.json"), "o.json"),
    { name: "TypeError", message: /o\.json as its "ngf" must be a number: current value is "32"/ },
  );
  throws(
    () =>
      withSavedArchitecture(options, given, readOptJson('{"no_instance": 1}', "o.json"), "o.json"),
    /"no_instance" must be a boolean: current value is 1/,
  );
});

import { equal, match } from "node:assert/strict";

const here = (path: string) => new URL(path, import.meta.url).href;

Deno.test("selfcheck without a WebGPU adapter says so in one line, as every command does", async () => {
  // The process sees no navigator.gpu, as a machine without WebGPU.
  const script = `
    Object.defineProperty(navigator, "gpu", { value: undefined, configurable: true });
    const { runCli } = await import(${JSON.stringify(here("./run_cli.ts"))});
    const { main } = await import(${JSON.stringify(here("./selfcheck.ts"))});
    await runCli(main);
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  equal(out.code, 1);
  equal(new TextDecoder().decode(out.stdout), "");
  match(stderr, /^error: Cannot find a WebGPU adapter: .*apt-get install mesa-vulkan-drivers/);
  equal(stderr.split("\n").length, 1, stderr);
});

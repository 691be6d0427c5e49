/**
 * Debian's Chromium for the browser tests (`CHROMIUM_PATH` overrides its path).
 *
 * @module
 */

/** The Chromium the browser tests launch. */
export const CHROMIUM: string = Deno.env.get("CHROMIUM_PATH") ?? "/usr/lib/chromium/chromium";

/**
 * Whether {@linkcode CHROMIUM} exists; in CI (`CI` set) its absence is an error naming `test`,
 * since CI installs it.
 */
export async function haveChromium(test: string): Promise<boolean> {
  const have = await Deno.stat(CHROMIUM).then(() => true, () => false);
  if (!have && Deno.env.get("CI")) {
    throw new Error(`Chromium is needed in CI for ${test}: ${CHROMIUM} does not exist`);
  }
  return have;
}

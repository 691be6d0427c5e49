/**
 * The command lines' entry: run `main` with the process's arguments, print an error's message
 * (not its stack) and exit with code 1 on failure.
 *
 * @module
 */

/** Runs a command's `main` as the program, setting `Deno.exitCode`. */
export async function runCli(main: (args: readonly string[]) => Promise<number>): Promise<void> {
  try {
    Deno.exitCode = await main(Deno.args);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exitCode = 1;
  }
}

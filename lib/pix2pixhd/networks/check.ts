/**
 * Argument checks shared by the network constructors.
 *
 * @module
 */

/** Returns `v` if it is an integer of at least `min`, else throws a RangeError naming `what`. */
export function integerOption(what: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(
      `Cannot make the network as ${what} must be an integer of at least ${min}: current value is ${v}`,
    );
  }
  return v;
}

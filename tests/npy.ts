/**
 * A reader of NumPy `.npy` files (versions 1 to 3, C order, little-endian float32 or int32), for
 * the golden tensors.
 *
 * @module
 */

/** A tensor read from a `.npy` file. */
export interface Npy {
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Parses the bytes of a `.npy` file. */
export function parseNpy(bytes: Uint8Array, name = "the .npy file"): Npy {
  const magic = new TextDecoder().decode(bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== "NUMPY") {
    throw new SyntaxError(`Cannot read ${name} as it must start with \\x93NUMPY`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const [headerLength, start] = major === 1
    ? [view.getUint16(8, true), 10]
    : [view.getUint32(8, true), 12];
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || dims === undefined) {
    throw new SyntaxError(
      `Cannot read ${name} as its header is malformed: current value is ${header}`,
    );
  }
  if (fortran !== "False") {
    throw new TypeError(`Cannot read ${name} as it must be in C order: current value is Fortran`);
  }
  const shape = dims.split(",").filter((s) => s.trim()).map(Number);
  const body = bytes.slice(start + headerLength).buffer;
  const size = shape.reduce((a, b) => a * b, 1);
  if (body.byteLength !== size * 4) {
    throw new SyntaxError(
      `Cannot read ${name} as its data must hold ${
        size * 4
      } bytes: current value is ${body.byteLength}`,
    );
  }
  if (descr === "<f4") return { shape, data: new Float32Array(body) };
  if (descr === "<i4") return { shape, data: new Int32Array(body) };
  throw new TypeError(
    `Cannot read ${name} as its dtype must be <f4 or <i4: current value is ${descr}`,
  );
}

/** Reads a `.npy` file. */
export async function readNpy(path: string): Promise<Npy> {
  return parseNpy(await Deno.readFile(path), path);
}

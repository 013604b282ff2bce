// The legacy @mediapipe solution packages ship some networks inside one
// `*_packed_assets.data` file; the Emscripten loader next to it lists each file's byte range
// in a `loadPackage({"files": [...], "remote_package_size": N})` call. We read the ranges from
// there instead of hard-coding offsets, so a package update cannot silently cut a model wrong.
import { z } from "zod";

const packedFileSchema = z.object({
  filename: z.string().min(1),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
});
const loadPackageArgumentSchema = z.object({
  files: z.array(packedFileSchema).min(1),
  remote_package_size: z.number().int().positive(),
});

export type PackedFileEntry = z.infer<typeof packedFileSchema>;

export interface PackedAssetsIndex {
  files: PackedFileEntry[];
  packageSize: number;
}

export class PackedAssetsError extends Error {
  override name = "PackedAssetsError";
}

const LOAD_PACKAGE_CALL = "loadPackage(";

/** Parses the object literal passed to `loadPackage(...)` in an Emscripten packed-assets loader. */
export function parsePackedAssetsLoader(loaderSource: string): PackedAssetsIndex {
  const callStart = loaderSource.indexOf(`${LOAD_PACKAGE_CALL}{`);
  if (callStart < 0) throw new PackedAssetsError("no loadPackage({...}) call found");
  if (loaderSource.indexOf(`${LOAD_PACKAGE_CALL}{`, callStart + 1) >= 0) {
    throw new PackedAssetsError("more than one loadPackage({...}) call found");
  }
  const objectStart = callStart + LOAD_PACKAGE_CALL.length;
  const objectText = loaderSource.slice(objectStart, findMatchingBrace(loaderSource, objectStart) + 1);

  let parsed: unknown;
  try {
    parsed = JSON.parse(objectText);
  } catch (error) {
    throw new PackedAssetsError(`loadPackage argument is not JSON: ${(error as Error).message}`);
  }
  const argument = loadPackageArgumentSchema.safeParse(parsed);
  if (!argument.success) throw new PackedAssetsError(`unexpected loadPackage argument: ${argument.error.message}`);

  const files = argument.data.files;
  for (const file of files) {
    if (file.end <= file.start || file.end > argument.data.remote_package_size) {
      throw new PackedAssetsError(`bad range [${file.start}, ${file.end}) for ${file.filename}`);
    }
  }
  return { files, packageSize: argument.data.remote_package_size };
}

/** Returns the bytes of the packed file whose path ends with `/${baseName}` (a view, no copy). */
export function extractPackedFile(index: PackedAssetsIndex, packageData: Uint8Array, baseName: string): Uint8Array {
  if (packageData.length !== index.packageSize) {
    throw new PackedAssetsError(`package data is ${packageData.length} bytes, the loader says ${index.packageSize}`);
  }
  const matches = index.files.filter((file) => file.filename === baseName || file.filename.endsWith(`/${baseName}`));
  const [entry] = matches;
  if (!entry || matches.length > 1) {
    const listed = index.files.map((file) => file.filename).join(", ");
    throw new PackedAssetsError(`expected exactly one packed file named ${baseName}, found ${matches.length} in: ${listed}`);
  }
  return packageData.subarray(entry.start, entry.end);
}

/** Index of the `}` closing the `{` at openIndex, skipping braces inside string literals. */
function findMatchingBrace(source: string, openIndex: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let index = openIndex; index < source.length; index++) {
    const char = source[index];
    if (quote !== null) {
      if (char === "\\") index++;
      else if (char === quote) quote = null;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === "{") {
      depth++;
    } else if (char === "}") {
      depth--;
      if (depth === 0) return index;
    }
  }
  throw new PackedAssetsError("unterminated loadPackage({...}) argument");
}

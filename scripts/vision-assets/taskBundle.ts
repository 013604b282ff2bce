// `.task` bundles are plain zip files that MediaPipe opens in memory. We write them with
// fflate (stored entries: the weights barely compress and the HTTP layer gzips anyway), a fixed
// timestamp so the bytes (and so the content hash in the file name) only change when a model
// does, and each entry's data padded to a 16-byte offset (the zipalign extra field, 0xD935) so
// TFLite can use the weights in place without copying them to realign.
import { unzipSync, zipSync, type Zippable } from "fflate";

export interface BundleEntry {
  name: string;
  bytes: Uint8Array;
}

export const BUNDLE_DATA_ALIGNMENT = 16;
const ZIPALIGN_EXTRA_ID = 0xd935;
const LOCAL_HEADER_BYTES = 30;
const EXTRA_HEADER_BYTES = 4;
/** Local time, because fflate encodes the DOS date from local fields: same bytes in any TZ. */
const FIXED_ENTRY_TIME = new Date(1980, 0, 1, 0, 0, 0);

export class BundleFormatError extends Error {
  override name = "BundleFormatError";
}

export function createTaskBundle(entries: readonly BundleEntry[]): Uint8Array {
  const zippable: Zippable = {};
  let localHeaderOffset = 0;
  for (const entry of entries) {
    if (entry.name in zippable) throw new BundleFormatError(`duplicate bundle entry ${entry.name}`);
    const nameBytes = new TextEncoder().encode(entry.name).length;
    // The zipalign extra data is a 2-byte alignment value followed by zero padding.
    const unpaddedDataOffset = localHeaderOffset + LOCAL_HEADER_BYTES + nameBytes + EXTRA_HEADER_BYTES + 2;
    const padding = (BUNDLE_DATA_ALIGNMENT - (unpaddedDataOffset % BUNDLE_DATA_ALIGNMENT)) % BUNDLE_DATA_ALIGNMENT;
    const alignmentExtra = new Uint8Array(2 + padding);
    alignmentExtra[0] = BUNDLE_DATA_ALIGNMENT;
    zippable[entry.name] = [entry.bytes, { level: 0, mtime: FIXED_ENTRY_TIME, extra: { [ZIPALIGN_EXTRA_ID]: alignmentExtra } }];
    localHeaderOffset = unpaddedDataOffset + padding + entry.bytes.length;
  }
  return zipSync(zippable);
}

export interface BundleEntryLocation {
  name: string;
  dataOffset: number;
  compressedBytes: number;
  compressionMethod: number;
}

/**
 * Where each entry's data starts, read from the central directory and local headers. fflate's
 * unzip gives the contents but not the offsets, which the alignment check needs.
 */
export function locateBundleEntries(zip: Uint8Array): BundleEntryLocation[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const endRecord = zip.length - 22; // we never write an archive comment
  if (endRecord < 0 || view.getUint32(endRecord, true) !== 0x06054b50) {
    throw new BundleFormatError("end of central directory record not found");
  }
  const entryCount = view.getUint16(endRecord + 10, true);
  let position = view.getUint32(endRecord + 16, true);
  const locations: BundleEntryLocation[] = [];
  for (let index = 0; index < entryCount; index++) {
    if (position + 46 > zip.length || view.getUint32(position, true) !== 0x02014b50) {
      throw new BundleFormatError(`central directory entry ${index} is damaged`);
    }
    const compressionMethod = view.getUint16(position + 10, true);
    const compressedBytes = view.getUint32(position + 20, true);
    const nameLength = view.getUint16(position + 28, true);
    const extraLength = view.getUint16(position + 30, true);
    const commentLength = view.getUint16(position + 32, true);
    const localHeader = view.getUint32(position + 42, true);
    const name = new TextDecoder().decode(zip.subarray(position + 46, position + 46 + nameLength));
    if (localHeader + LOCAL_HEADER_BYTES > zip.length || view.getUint32(localHeader, true) !== 0x04034b50) {
      throw new BundleFormatError(`local header of ${name} is damaged`);
    }
    const dataOffset = localHeader + LOCAL_HEADER_BYTES + view.getUint16(localHeader + 26, true) + view.getUint16(localHeader + 28, true);
    locations.push({ name, dataOffset, compressedBytes, compressionMethod });
    position += 46 + nameLength + extraLength + commentLength;
  }
  return locations;
}

/** All entries by name (fflate does not check CRCs: callers compare bytes to what they expect). */
export function readTaskBundle(zip: Uint8Array): Map<string, Uint8Array> {
  return new Map(Object.entries(unzipSync(zip)));
}

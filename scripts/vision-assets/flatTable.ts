// Bounds-checked, schema-less reading of flatbuffer tables on top of the official
// `flatbuffers` runtime's ByteBuffer. The runtime's own accessors trust their input; the
// build reads back files it just wrote (and possibly corrupted ones), so every position is
// checked before it is followed, and a bad file gives a clear error instead of garbage.
import { ByteBuffer } from "flatbuffers";

const UOFFSET_BYTES = 4;

export class FlatBufferFormatError extends Error {
  override name = "FlatBufferFormatError";
}

export interface VectorRange {
  /** Absolute position of the first element. */
  start: number;
  length: number;
}

export class FlatTable {
  private constructor(
    private readonly buffer: ByteBuffer,
    /** Absolute position of the table in the buffer. */
    readonly position: number,
    private readonly vtableFieldCount: number,
  ) {}

  /** Reads the root table of a finished flatbuffer and checks its 4-byte file identifier. */
  static root(bytes: Uint8Array, fileIdentifier: string): FlatTable {
    if (bytes.length < 8) throw new FlatBufferFormatError(`buffer of ${bytes.length} bytes is too short`);
    const buffer = new ByteBuffer(bytes);
    const identifier = buffer.getBufferIdentifier();
    if (identifier !== fileIdentifier) {
      throw new FlatBufferFormatError(`file identifier is ${JSON.stringify(identifier)}, expected ${fileIdentifier}`);
    }
    return FlatTable.at(buffer, buffer.readUint32(0));
  }

  private static at(buffer: ByteBuffer, position: number): FlatTable {
    checkRange(buffer, position, UOFFSET_BYTES, "table");
    const vtablePosition = position - buffer.readInt32(position);
    checkRange(buffer, vtablePosition, 4, "vtable");
    const vtableBytes = buffer.readUint16(vtablePosition);
    checkRange(buffer, vtablePosition, vtableBytes, "vtable");
    if (vtableBytes < 4 || vtableBytes % 2 !== 0) throw new FlatBufferFormatError(`bad vtable size ${vtableBytes}`);
    return new FlatTable(buffer, position, (vtableBytes - 4) / 2);
  }

  /** Number of field slots in this table's vtable (set or not). */
  get fieldCount(): number {
    return this.vtableFieldCount;
  }

  /** Ids of the fields that are present (non-default) in this table. */
  presentFieldIds(): number[] {
    const ids: number[] = [];
    for (let id = 0; id < this.vtableFieldCount; id++) if (this.slot(id) !== 0) ids.push(id);
    return ids;
  }

  has(fieldId: number): boolean {
    return this.slot(fieldId) !== 0;
  }

  uint8(fieldId: number, fallback: number): number {
    const slot = this.slot(fieldId);
    if (slot === 0) return fallback;
    checkRange(this.buffer, slot, 1, "ubyte field");
    return this.buffer.readUint8(slot);
  }

  int8(fieldId: number, fallback: number): number {
    const slot = this.slot(fieldId);
    if (slot === 0) return fallback;
    checkRange(this.buffer, slot, 1, "byte field");
    return this.buffer.readInt8(slot);
  }

  uint32(fieldId: number, fallback: number): number {
    const slot = this.slot(fieldId);
    if (slot === 0) return fallback;
    checkRange(this.buffer, slot, 4, "uint field");
    return this.buffer.readUint32(slot);
  }

  /** Absolute position of the object (table, vector or string) an offset field points to. */
  target(fieldId: number): number | null {
    const slot = this.slot(fieldId);
    if (slot === 0) return null;
    checkRange(this.buffer, slot, UOFFSET_BYTES, "offset field");
    const targetPosition = slot + this.buffer.readUint32(slot);
    checkRange(this.buffer, targetPosition, UOFFSET_BYTES, "offset target");
    return targetPosition;
  }

  table(fieldId: number): FlatTable | null {
    const position = this.target(fieldId);
    return position === null ? null : FlatTable.at(this.buffer, position);
  }

  string(fieldId: number): string | null {
    const bytes = this.vectorBytes(fieldId, 1);
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }

  vector(fieldId: number, elementBytes: number): VectorRange | null {
    const position = this.target(fieldId);
    if (position === null) return null;
    const length = this.buffer.readUint32(position);
    const start = position + UOFFSET_BYTES;
    checkRange(this.buffer, start, length * elementBytes, "vector");
    return { start, length };
  }

  /** Raw bytes of a ubyte vector or string, as a view into the buffer (no copy). */
  vectorBytes(fieldId: number, elementBytes: number): Uint8Array | null {
    const range = this.vector(fieldId, elementBytes);
    if (range === null) return null;
    return this.buffer.bytes().subarray(range.start, range.start + range.length * elementBytes);
  }

  /** Absolute positions of the tables a vector-of-tables field refers to. */
  tablePositions(fieldId: number): number[] {
    const range = this.vector(fieldId, UOFFSET_BYTES);
    if (range === null) return [];
    const positions: number[] = [];
    for (let index = 0; index < range.length; index++) {
      const elementPosition = range.start + index * UOFFSET_BYTES;
      positions.push(elementPosition + this.buffer.readUint32(elementPosition));
    }
    return positions;
  }

  tables(fieldId: number): FlatTable[] {
    return this.tablePositions(fieldId).map((position) => FlatTable.at(this.buffer, position));
  }

  float32s(fieldId: number): number[] {
    const range = this.vector(fieldId, 4);
    if (range === null) return [];
    return Array.from({ length: range.length }, (_, index) => this.buffer.readFloat32(range.start + index * 4));
  }

  int32s(fieldId: number): number[] {
    const range = this.vector(fieldId, 4);
    if (range === null) return [];
    return Array.from({ length: range.length }, (_, index) => this.buffer.readInt32(range.start + index * 4));
  }

  /** Absolute position of a field's slot inside the table, 0 when the field is absent. */
  private slot(fieldId: number): number {
    if (fieldId >= this.vtableFieldCount) return 0;
    const relative = this.buffer.__offset(this.position, 4 + 2 * fieldId);
    return relative === 0 ? 0 : this.position + relative;
  }
}

function checkRange(buffer: ByteBuffer, position: number, byteCount: number, what: string): void {
  if (!Number.isInteger(position) || position < 0 || byteCount < 0 || position + byteCount > buffer.capacity()) {
    throw new FlatBufferFormatError(`${what} at ${position} (+${byteCount} bytes) lies outside the ${buffer.capacity()}-byte buffer`);
  }
}

// Adds TFLite metadata (input NormalizationOptions) to a TFLite model, which the tasks-vision
// graphs need before they accept a float32 input tensor.
//
// Approach: "prefix", not a full rebuild. We build, with the official flatbuffers Builder, a
// small flatbuffer holding a new root `Model` table, the new `Metadata` entry, the new
// `Buffer` with the ModelMetadata (M001) bytes, and new `buffers`/`metadata` vectors; then we
// append the original model bytes unchanged. Flatbuffer offsets are unsigned and point
// forward, so tables in the prefix can refer to the old subgraphs, operator codes and buffers
// that follow it. Why not a full rebuild: re-serialising every operator means knowing every
// builtin-options union member (100+ tables) with generated code, and any mistake silently
// changes the network; here the network bytes stay byte-identical (the verifier checks that
// the output ends with the original file) and only field ids we know are touched.
//
// How the Builder points past its own end: it measures offsets from the end of what it has
// built, and the original bytes start exactly there, so an old object at position X of the
// original file has Builder offset -X (`addOffset` then writes the positive distance).
import { Builder } from "flatbuffers";
import { FlatTable } from "./flatTable";
import {
  BUFFER_ALIGNMENT,
  BufferField,
  METADATA_FILE_IDENTIFIER,
  MODEL_FIELD_COUNT,
  MODEL_FILE_IDENTIFIER,
  MetadataField,
  ModelField,
  ModelMetadataField,
  NormalizationOptionsField,
  PROCESS_UNIT_NORMALIZATION_OPTIONS,
  ProcessUnitField,
  SubGraphMetadataField,
  TFLITE_METADATA_NAME,
  TensorMetadataField,
} from "./tfliteSchema";

export interface InputNormalization {
  /** Input value v becomes (v - mean) / std. */
  mean: number;
  std: number;
}

export interface ModelDescription {
  name: string;
  description: string;
}

/** The lowest metadata parser version that knows every field written here. */
const MIN_PARSER_VERSION = "1.0.0";

export class MetadataWriteError extends Error {
  override name = "MetadataWriteError";
}

/** Returns a new model: prefix (new root + metadata) followed by the original bytes. */
export function addNormalizationMetadata(originalModel: Uint8Array, normalization: InputNormalization, description: ModelDescription): Uint8Array {
  const originalRoot = FlatTable.root(originalModel, MODEL_FILE_IDENTIFIER);
  const unknownFields = originalRoot.presentFieldIds().filter((id) => id >= MODEL_FIELD_COUNT);
  if (unknownFields.length > 0) {
    // Their types are unknown, so they cannot be copied into the new root safely.
    throw new MetadataWriteError(`model has fields this writer does not know: ${unknownFields.join(", ")}`);
  }
  const metadataBytes = buildModelMetadata(normalization, description);

  const builder = new Builder(metadataBytes.length + 4096);
  const originalObject = (absolutePosition: number): number => -absolutePosition;

  const metadataData = createAlignedByteVector(builder, metadataBytes, BUFFER_ALIGNMENT);
  builder.startObject(1);
  builder.addFieldOffset(BufferField.data, metadataData, 0);
  const metadataBuffer = builder.endObject();

  const originalBufferPositions = originalRoot.tablePositions(ModelField.buffers);
  const metadataBufferIndex = originalBufferPositions.length;
  const buffers = createOffsetVector(builder, [...originalBufferPositions.map(originalObject), metadataBuffer]);

  const metadataName = builder.createString(TFLITE_METADATA_NAME);
  builder.startObject(2);
  builder.addFieldOffset(MetadataField.name, metadataName, 0);
  builder.addFieldInt32(MetadataField.buffer, metadataBufferIndex, 0);
  const metadataEntry = builder.endObject();

  // Keep entries such as min_runtime_version; replace an older TFLITE_METADATA if present.
  const keptMetadataEntries = originalRoot
    .tables(ModelField.metadata)
    .filter((entry) => entry.string(MetadataField.name) !== TFLITE_METADATA_NAME)
    .map((entry) => originalObject(entry.position));
  const metadata = createOffsetVector(builder, [...keptMetadataEntries, metadataEntry]);

  builder.startObject(MODEL_FIELD_COUNT);
  builder.addFieldInt32(ModelField.version, originalRoot.uint32(ModelField.version, 0) | 0, 0);
  for (const fieldId of [ModelField.operatorCodes, ModelField.subgraphs, ModelField.description, ModelField.metadataBuffer, ModelField.signatureDefs]) {
    const target = originalRoot.target(fieldId);
    if (target !== null) builder.addFieldOffset(fieldId, originalObject(target), 0);
  }
  builder.addFieldOffset(ModelField.buffers, buffers, 0);
  builder.addFieldOffset(ModelField.metadata, metadata, 0);
  const newRoot = builder.endObject();
  builder.finish(newRoot, MODEL_FILE_IDENTIFIER);

  const prefix = builder.asUint8Array();
  // finish() pads to the largest alignment used (16, from the metadata data vector), which
  // keeps every original buffer at its original 16-byte alignment.
  if (prefix.length % BUFFER_ALIGNMENT !== 0) {
    throw new MetadataWriteError(`prefix of ${prefix.length} bytes is not a multiple of ${BUFFER_ALIGNMENT}`);
  }
  const model = new Uint8Array(prefix.length + originalModel.length);
  model.set(prefix, 0);
  model.set(originalModel, prefix.length);
  return model;
}

/** ModelMetadata (M001) with one subgraph whose first input tensor has NormalizationOptions. */
export function buildModelMetadata(normalization: InputNormalization, description: ModelDescription): Uint8Array {
  const builder = new Builder(512);

  const mean = createFloat32Vector(builder, [normalization.mean]);
  const std = createFloat32Vector(builder, [normalization.std]);
  builder.startObject(2);
  builder.addFieldOffset(NormalizationOptionsField.mean, mean, 0);
  builder.addFieldOffset(NormalizationOptionsField.std, std, 0);
  const normalizationOptions = builder.endObject();

  builder.startObject(2);
  builder.addFieldInt8(ProcessUnitField.optionsType, PROCESS_UNIT_NORMALIZATION_OPTIONS, 0);
  builder.addFieldOffset(ProcessUnitField.options, normalizationOptions, 0);
  const processUnit = builder.endObject();
  const processUnits = createOffsetVector(builder, [processUnit]);

  const tensorName = builder.createString("image");
  builder.startObject(5);
  builder.addFieldOffset(TensorMetadataField.name, tensorName, 0);
  builder.addFieldOffset(TensorMetadataField.processUnits, processUnits, 0);
  const inputTensor = builder.endObject();
  const inputTensors = createOffsetVector(builder, [inputTensor]);

  builder.startObject(3);
  builder.addFieldOffset(SubGraphMetadataField.inputTensorMetadata, inputTensors, 0);
  const subgraph = builder.endObject();
  const subgraphs = createOffsetVector(builder, [subgraph]);

  const name = builder.createString(description.name);
  const descriptionText = builder.createString(description.description);
  const minParserVersion = builder.createString(MIN_PARSER_VERSION);
  builder.startObject(8);
  builder.addFieldOffset(ModelMetadataField.name, name, 0);
  builder.addFieldOffset(ModelMetadataField.description, descriptionText, 0);
  builder.addFieldOffset(ModelMetadataField.subgraphMetadata, subgraphs, 0);
  builder.addFieldOffset(ModelMetadataField.minParserVersion, minParserVersion, 0);
  const root = builder.endObject();
  builder.finish(root, METADATA_FILE_IDENTIFIER);
  return builder.asUint8Array().slice();
}

function createOffsetVector(builder: Builder, offsets: readonly number[]): number {
  builder.startVector(4, offsets.length, 4);
  for (let index = offsets.length - 1; index >= 0; index--) builder.addOffset(offsets[index] as number);
  return builder.endVector();
}

function createFloat32Vector(builder: Builder, values: readonly number[]): number {
  builder.startVector(4, values.length, 4);
  for (let index = values.length - 1; index >= 0; index--) builder.addFloat32(values[index] as number);
  return builder.endVector();
}

/** Like Builder.createByteVector, but with the element data aligned (createByteVector uses 1). */
function createAlignedByteVector(builder: Builder, bytes: Uint8Array, alignment: number): number {
  builder.startVector(1, bytes.length, alignment);
  for (let index = bytes.length - 1; index >= 0; index--) builder.addInt8(bytes[index] as number);
  return builder.endVector();
}

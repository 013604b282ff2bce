// Field ids (vtable slot numbers) of the TFLite model schema (schema.fbs, identifier TFL3) and
// the TFLite metadata schema (metadata_schema.fbs, identifier M001) that the build touches.
// Only these are needed, so no generated code: see docs/vision-assets.md.

export const MODEL_FILE_IDENTIFIER = "TFL3";
export const METADATA_FILE_IDENTIFIER = "M001";
/** Name of the `Model.metadata` entry whose buffer holds the ModelMetadata flatbuffer. */
export const TFLITE_METADATA_NAME = "TFLITE_METADATA";

export const ModelField = {
  version: 0,
  operatorCodes: 1,
  subgraphs: 2,
  description: 3,
  buffers: 4,
  metadataBuffer: 5,
  metadata: 6,
  signatureDefs: 7,
} as const;
export const MODEL_FIELD_COUNT = 8;

export const MetadataField = { name: 0, buffer: 1 } as const;
export const BufferField = { data: 0 } as const;
export const SubGraphField = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 } as const;
export const TensorField = { shape: 0, type: 1, buffer: 2, name: 3 } as const;

export const ModelMetadataField = {
  name: 0,
  description: 1,
  version: 2,
  subgraphMetadata: 3,
  author: 4,
  license: 5,
  associatedFiles: 6,
  minParserVersion: 7,
} as const;
export const SubGraphMetadataField = { name: 0, description: 1, inputTensorMetadata: 2 } as const;
export const TensorMetadataField = {
  name: 0,
  description: 1,
  dimensionNames: 2,
  content: 3,
  processUnits: 4,
} as const;
export const ProcessUnitField = { optionsType: 0, options: 1 } as const;
/** Union tag of `ProcessUnitOptions.NormalizationOptions`. */
export const PROCESS_UNIT_NORMALIZATION_OPTIONS = 1;
export const NormalizationOptionsField = { mean: 0, std: 1 } as const;

/** TFLite keeps constant tensor data 16-byte aligned; the metadata buffer follows suit. */
export const BUFFER_ALIGNMENT = 16;

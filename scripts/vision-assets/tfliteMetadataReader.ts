// Reads back what tfliteMetadataWriter wrote, following the same path the MediaPipe metadata
// extractor follows: Model.metadata["TFLITE_METADATA"] -> Model.buffers[i].data -> M001 ->
// subgraph_metadata[0].input_tensor_metadata[0].process_units[0] (NormalizationOptions).
// Used by the build's verification and by the tests; it shares no code with the writer
// except the field-id table, so a writer bug is not mirrored here.
import { FlatTable } from "./flatTable";
import {
  BufferField,
  METADATA_FILE_IDENTIFIER,
  MODEL_FILE_IDENTIFIER,
  MetadataField,
  ModelField,
  ModelMetadataField,
  NormalizationOptionsField,
  PROCESS_UNIT_NORMALIZATION_OPTIONS,
  ProcessUnitField,
  SubGraphField,
  SubGraphMetadataField,
  TFLITE_METADATA_NAME,
  TensorField,
  TensorMetadataField,
} from "./tfliteSchema";

export class MetadataReadError extends Error {
  override name = "MetadataReadError";
}

export interface NormalizationReadBack {
  mean: number[];
  std: number[];
  /** ModelMetadata.name */
  modelName: string | null;
}

export function readInputNormalization(model: Uint8Array): NormalizationReadBack {
  const root = FlatTable.root(model, MODEL_FILE_IDENTIFIER);
  const entry = root.tables(ModelField.metadata).find((table) => table.string(MetadataField.name) === TFLITE_METADATA_NAME);
  if (!entry) throw new MetadataReadError(`no ${TFLITE_METADATA_NAME} entry in Model.metadata`);
  const bufferIndex = entry.uint32(MetadataField.buffer, 0);
  const buffers = root.tables(ModelField.buffers);
  const buffer = buffers[bufferIndex];
  if (!buffer) throw new MetadataReadError(`metadata buffer index ${bufferIndex} is outside ${buffers.length} buffers`);
  const metadataBytes = buffer.vectorBytes(BufferField.data, 1);
  if (!metadataBytes) throw new MetadataReadError(`metadata buffer ${bufferIndex} has no data`);

  const metadata = FlatTable.root(metadataBytes, METADATA_FILE_IDENTIFIER);
  const subgraph = metadata.tables(ModelMetadataField.subgraphMetadata)[0];
  const inputTensor = subgraph?.tables(SubGraphMetadataField.inputTensorMetadata)[0];
  const processUnit = inputTensor?.tables(TensorMetadataField.processUnits)[0];
  if (!processUnit) throw new MetadataReadError("no process unit on the first input tensor of the first subgraph");
  const optionsType = processUnit.uint8(ProcessUnitField.optionsType, 0);
  if (optionsType !== PROCESS_UNIT_NORMALIZATION_OPTIONS) {
    throw new MetadataReadError(`first process unit has options type ${optionsType}, expected NormalizationOptions`);
  }
  const options = processUnit.table(ProcessUnitField.options);
  if (!options) throw new MetadataReadError("NormalizationOptions table is missing");
  return {
    mean: options.float32s(NormalizationOptionsField.mean),
    std: options.float32s(NormalizationOptionsField.std),
    modelName: metadata.string(ModelMetadataField.name),
  };
}

export interface ModelSummary {
  version: number;
  bufferCount: number;
  metadataNames: string[];
  /** Per subgraph, the shape of every tensor, in order. */
  tensorShapes: number[][][];
  /** Per subgraph, the tensor indices of its inputs and outputs. */
  inputs: number[][];
  outputs: number[][];
}

/** Structural facts used to check that adding metadata left the network itself untouched. */
export function summarizeModel(model: Uint8Array): ModelSummary {
  const root = FlatTable.root(model, MODEL_FILE_IDENTIFIER);
  const subgraphs = root.tables(ModelField.subgraphs);
  return {
    version: root.uint32(ModelField.version, 0),
    bufferCount: root.tablePositions(ModelField.buffers).length,
    metadataNames: root.tables(ModelField.metadata).map((entry) => entry.string(MetadataField.name) ?? ""),
    tensorShapes: subgraphs.map((subgraph) => subgraph.tables(SubGraphField.tensors).map((tensor) => tensor.int32s(TensorField.shape))),
    inputs: subgraphs.map((subgraph) => subgraph.int32s(SubGraphField.inputs)),
    outputs: subgraphs.map((subgraph) => subgraph.int32s(SubGraphField.outputs)),
  };
}

// Runs in the inference process and the CLI.
// Public API of the runtime layer (the only importer of onnxruntime-node).
export type { EncodedPrompt, LoadedModel, UnderstoodConcept } from './types.ts';
export { ModelError, type ModelErrorCode } from './errors.ts';
export {
  MODEL_FAMILIES,
  ManifestSchema,
  parseManifest,
  readManifest,
  type BagOfWordsManifest,
  type ModelFamily,
  type ModelManifest,
  type PromptManifest,
  type SchedulerManifest,
  type UnetManifest,
} from './manifest.ts';
export { loadModel, type LoadModelOptions } from './load.ts';
export { defaultModelsDir, listModels, resolveModelDir, type ModelInfo } from './models-dir.ts';
export {
  chooseProviders,
  cudaAvailability,
  deviceText,
  plannedDevice,
  type CudaAvailability,
  type Device,
  type DeviceInfo,
  type DeviceProbes,
  type RequestedDevice,
  type RuntimeOptions,
  runtimeOptionsFrom,
} from './providers.ts';
export { webgpuAvailability, type WebGpuAvailability } from './webgpu.ts';
export { loadPromptEncoder, type PromptEncoder } from './prompt/encoder.ts';
export {
  BagOfWordsEncoder,
  loadBagOfWords,
  type BagOfWordsData,
  type Concept,
} from './prompt/bag-of-words.ts';
export { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16.ts';

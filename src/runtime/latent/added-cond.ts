// Runs in the inference process and the CLI.
// SDXL's added conditioning (Podell et al. 2023): UNets with addition_embed_type "text_time" take, beside
// the cross-attention states, the second text encoder's pooled projection (`text_embeds`, [batch, P]) and
// the size micro-conditioning (`time_ids`, [batch, 6]: original height and width, crop top and left,
// target height and width), as diffusers' StableDiffusionXLPipeline feeds them. Found by name in the UNet
// session's metadata, as optimum exports them.
import { ModelError } from '../errors.ts';
import type { ModelSession } from '../session.ts';

export const TEXT_EMBEDS_INPUT = 'text_embeds';
export const TIME_IDS_INPUT = 'time_ids';

/** The UNet's added-conditioning inputs: their widths and element types. */
export interface AddedCondInputs {
  textEmbeds: { name: string; dim: number; dtype: 'float32' | 'float16' };
  timeIds: { name: string; dim: number; dtype: 'float32' | 'float16' };
}

/** How the denoiser feeds them: the pooled projection sits after the hidden states in each prompt's conditioning. */
export interface AddedCondPlan extends AddedCondInputs {
  /** Dims of the cross-attention states (the first part of a conditioning), e.g. [77, 2048]. */
  hiddenDims: readonly number[];
  /** The six time ids (the same for every request of a job at one image size). */
  timeIdValues: Float32Array;
}

/** What the prompt encoder says about its conditioning layout: [hidden states (hiddenDims), pooled projection (pooledSize)]. */
export interface PooledLayout {
  hiddenDims: readonly number[];
  pooledSize: number;
}

function floatInput(session: ModelSession, name: string): { name: string; dim: number; dtype: 'float32' | 'float16' } | undefined {
  const info = session.inputs.get(name);
  if (!info) return undefined;
  const dim = info.shape[1];
  if (info.shape.length !== 2 || (info.type !== 'float32' && info.type !== 'float16'))
    throw new ModelError(
      'model-io',
      `${session.file}: input "${name}" must be a [batch, n] float tensor (got ${info.type} [${info.shape.join(', ')}])`,
    );
  return { name, dim: typeof dim === 'number' && dim > 0 ? dim : -1, dtype: info.type };
}

/** The UNet session's `text_embeds` and `time_ids` inputs, or undefined when it has neither; throws when it has one without the other or a malformed one. */
export function addedCondOf(session: ModelSession): AddedCondInputs | undefined {
  const textEmbeds = floatInput(session, TEXT_EMBEDS_INPUT);
  const timeIds = floatInput(session, TIME_IDS_INPUT);
  if (!textEmbeds && !timeIds) return undefined;
  if (!textEmbeds || !timeIds)
    throw new ModelError(
      'model-io',
      `${session.file}: has "${textEmbeds ? TEXT_EMBEDS_INPUT : TIME_IDS_INPUT}" but not "${textEmbeds ? TIME_IDS_INPUT : TEXT_EMBEDS_INPUT}" (an SDXL UNet takes both)`,
    );
  if (timeIds.dim === 5)
    throw new ModelError(
      'model-io',
      `${session.file}: "${TIME_IDS_INPUT}" has 5 values (an SDXL refiner's aesthetic-score conditioning), which is not supported; use an SDXL base or Turbo UNet (6 time ids)`,
    );
  if (timeIds.dim !== -1 && timeIds.dim !== 6)
    throw new ModelError('model-io', `${session.file}: "${TIME_IDS_INPUT}" has ${timeIds.dim} values, expected 6`);
  return { textEmbeds, timeIds: { ...timeIds, dim: 6 } };
}

/** SDXL's time ids for an image drawn whole at its own size: original size = target size, crop at the top left (0, 0). */
export function sdxlTimeIds(height: number, width: number): Float32Array {
  return Float32Array.from([height, width, 0, 0, height, width]);
}

/**
 * Match the UNet's added inputs with the prompt encoder's layout; throws naming the mismatch (an SDXL UNet
 * with one text encoder, a pooled projection of another width, pooled embeddings for a UNet without them).
 */
export function planAddedCond(
  session: ModelSession,
  layout: PooledLayout | undefined,
  image: { height: number; width: number },
): AddedCondPlan | undefined {
  const inputs = addedCondOf(session);
  if (!inputs && !layout) return undefined;
  if (!inputs)
    throw new ModelError(
      'model-io',
      `${session.file}: the prompt encoder gives a pooled projection (two text encoders, SDXL-style) but the UNet has no "${TEXT_EMBEDS_INPUT}" and "${TIME_IDS_INPUT}" inputs`,
    );
  if (!layout)
    throw new ModelError(
      'bad-manifest',
      `${session.file}: the UNet takes "${TEXT_EMBEDS_INPUT}" and "${TIME_IDS_INPUT}" (SDXL-style) but the manifest's prompt has no text_encoder_2; pull the model again to write an SDXL manifest`,
    );
  if (inputs.textEmbeds.dim !== -1 && inputs.textEmbeds.dim !== layout.pooledSize)
    throw new ModelError(
      'model-io',
      `${session.file}: "${TEXT_EMBEDS_INPUT}" is ${inputs.textEmbeds.dim} wide but text_encoder_2's pooled projection is ${layout.pooledSize}`,
    );
  return {
    textEmbeds: { ...inputs.textEmbeds, dim: layout.pooledSize },
    timeIds: inputs.timeIds,
    hiddenDims: layout.hiddenDims,
    timeIdValues: sdxlTimeIds(image.height, image.width),
  };
}

// Runs in the inference process and the CLI.
// LCM's guidance input: LCM-distilled UNets take the guidance scale as an embedding (`timestep_cond`,
// time_cond_proj_dim wide) instead of classifier-free guidance, as diffusers' LatentConsistencyModelPipeline
// feeds it. Found by its name in the UNet session's metadata.
import { ModelError } from '../errors.ts';
import type { ModelSession } from '../session.ts';

/** The input's name in diffusers/optimum LCM exports. */
export const GUIDANCE_COND_INPUT = 'timestep_cond';

/** The UNet's guidance-embedding input: its name, width and element type. */
export interface GuidanceCond {
  name: string;
  dim: number;
  dtype: 'float32' | 'float16';
}

/**
 * The guidance-scale embedding of Luo et al. 2023 (LCM; after VDM's sinusoidal embedding, Kingma et al.
 * 2021), diffusers' get_guidance_scale_embedding: w' = 1000 w, f_i = exp(-i ln(10000) / (d/2 - 1)),
 * [sin(w' f), cos(w' f)], zero-padded to an odd d. The pipeline passes w = guidance_scale - 1.
 */
export function guidanceScaleEmbedding(w: number, dim: number): Float32Array {
  const half = Math.floor(dim / 2);
  const out = new Float32Array(dim);
  const step = Math.fround(Math.fround(Math.log(10000)) / (half - 1));
  for (let i = 0; i < half; i++) {
    // float32 as torch computes it: the frequency and the product each rounded to float32
    const f = Math.fround(Math.exp(Math.fround(-i * Math.fround(step))));
    const a = Math.fround(Math.fround(w * 1000) * f);
    out[i] = Math.sin(a);
    out[half + i] = Math.cos(a);
  }
  return out;
}

/** The UNet session's `timestep_cond` input ([batch, d] float), or undefined when it has none; throws naming a malformed one. */
export function guidanceCondOf(session: ModelSession): GuidanceCond | undefined {
  const info = session.inputs.get(GUIDANCE_COND_INPUT);
  if (!info) return undefined;
  const dim = info.shape[1];
  if (info.shape.length !== 2 || typeof dim !== 'number' || dim < 2 || (info.type !== 'float32' && info.type !== 'float16'))
    throw new ModelError(
      'model-io',
      `${session.file}: input "${GUIDANCE_COND_INPUT}" must be a [batch, time_cond_proj_dim] float tensor (got ${info.type} [${info.shape.join(', ')}])`,
    );
  return { name: GUIDANCE_COND_INPUT, dim, dtype: info.type };
}

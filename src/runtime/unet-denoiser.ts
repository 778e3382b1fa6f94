// Runs in the inference process and the CLI.
// The batched UNet Denoiser: requests -> chunks -> one session.run per chunk -> per-request eps (and variance).
import { Tensor } from 'onnxruntime-node';
import type { DenoiserOutput, DenoiserRequest, Denoiser, Shape } from '../diffusion/types.ts';
import { ModelError } from './errors.ts';
import { toFloat16Bits } from './float16.ts';
import type { UnetManifest } from './manifest.ts';
import { checkTensors, fixedDim, type ModelSession } from './session.ts';
import { floatTensor, runFloat } from './tensors.ts';
import { guidanceCondOf, guidanceScaleEmbedding, type GuidanceCond } from './latent/guidance-embedding.ts';
import type { AddedCondPlan } from './latent/added-cond.ts';

/** How the UNet is driven, derived from the manifest and the session's metadata. */
export interface UnetPlan {
  shape: Shape;
  /** Conditioning dims of one prompt (no batch axis). */
  condDims: readonly number[];
  learnedVariance: boolean;
  /** Requests per session.run. */
  chunkSize: number;
  /** Set when the model's batch axis is fixed: every run gets exactly this many (the last chunk is padded). */
  fixedBatch?: number;
  /** Whether the timestep input is a scalar (rank 0) instead of [N]. */
  scalarTimestep: boolean;
  /** LCM's guidance-embedding input (`timestep_cond`), when the UNet has one. */
  guidanceCond?: GuidanceCond;
  /** SDXL's added conditioning (`text_embeds`, `time_ids`): each conditioning holds the hidden states, then the pooled projection. */
  added?: AddedCondPlan;
}

/** Validate the UNet's inputs and outputs against the manifest and work out batching; throws naming the file and tensor. */
export function planUnet(
  session: ModelSession,
  unet: UnetManifest,
  shape: Shape,
  condDims: readonly number[],
  learnedVariance: boolean,
  added?: AddedCondPlan,
): UnetPlan {
  const { sample, timestep, cond } = unet.inputs;
  const hiddenDims = added ? added.hiddenDims : condDims;
  const outC = learnedVariance ? 2 * shape.channels : shape.channels;
  const guidanceCond = guidanceCondOf(session);
  checkTensors(session.file, 'input', session.inputs, [
    ...(guidanceCond
      ? [{ name: guidanceCond.name, role: 'LCM guidance embedding', types: [guidanceCond.dtype], ranks: [2], dims: [null, guidanceCond.dim] }]
      : []),
    ...(added
      ? [
          { name: added.textEmbeds.name, role: 'SDXL pooled text embeddings', types: [added.textEmbeds.dtype], ranks: [2], dims: [null, added.textEmbeds.dim] },
          { name: added.timeIds.name, role: 'SDXL time ids', types: [added.timeIds.dtype], ranks: [2], dims: [null, added.timeIds.dim] },
        ]
      : []),
    {
      name: sample,
      role: 'unet.inputs.sample',
      types: [unet.dtype],
      ranks: [4],
      dims: [null, shape.channels, shape.height, shape.width],
    },
    { name: timestep, role: 'unet.inputs.timestep', types: [unet.timestep_dtype], ranks: [0, 1] },
    {
      name: cond,
      role: 'unet.inputs.cond',
      types: [unet.dtype],
      ranks: [1 + hiddenDims.length],
      dims: [null, ...hiddenDims],
    },
  ]);
  checkTensors(session.file, 'output', session.outputs, [
    {
      name: unet.outputs.eps,
      role: 'unet.outputs.eps',
      types: [unet.dtype],
      ranks: [4],
      dims: [null, outC, shape.height, shape.width],
    },
  ]);
  const sampleInfo = session.inputs.get(sample)!;
  const fixedBatch = fixedDim(sampleInfo, 0);
  const scalarTimestep = session.inputs.get(timestep)!.shape.length === 0;
  return {
    ...(guidanceCond ? { guidanceCond } : {}),
    ...(added ? { added } : {}),
    shape,
    condDims,
    learnedVariance,
    chunkSize: fixedBatch ?? unet.max_batch,
    fixedBatch,
    scalarTimestep,
  };
}

function timestepTensor(
  t: number,
  n: number,
  dtype: UnetManifest['timestep_dtype'],
  scalar: boolean,
): Tensor {
  const dims = scalar ? [] : [n];
  const count = scalar ? 1 : n;
  switch (dtype) {
    case 'int64':
      return new Tensor('int64', new BigInt64Array(count).fill(BigInt(Math.round(t))), dims);
    case 'int32':
      return new Tensor('int32', new Int32Array(count).fill(Math.round(t)), dims);
    case 'float16':
      return new Tensor('float16', new Uint16Array(count).fill(toFloat16Bits(t)), dims);
    case 'float32':
      return new Tensor('float32', new Float32Array(count).fill(t), dims);
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Build the Denoiser: chunks of plan.chunkSize, x and cond stacked on a new batch axis, timestep as [N] of the
 * declared dtype; a UNet with `timestep_cond` gets the LCM guidance-scale embedding of w = guidanceScale - 1
 * (LatentConsistencyModelPipeline) for every request; an SDXL UNet gets each request's pooled projection
 * (the tail of its conditioning) as `text_embeds` and the plan's time ids.
 */
export function createUnetDenoiser(session: ModelSession, unet: UnetManifest, plan: UnetPlan, guidanceScale?: number): Denoiser {
  const gc = plan.guidanceCond;
  if (gc && guidanceScale === undefined)
    throw new ModelError('bad-request', `${session.file} takes a guidance embedding (${gc.name}): a guidance scale is needed`);
  const wEmbedding = gc ? guidanceScaleEmbedding((guidanceScale ?? 1) - 1, gc.dim) : undefined;
  const { channels, height, width } = plan.shape;
  const size = channels * height * width;
  const condSize = plan.condDims.reduce((a, b) => a * b, 1);
  const added = plan.added;
  const hiddenDims = added ? added.hiddenDims : plan.condDims;
  const hiddenSize = hiddenDims.reduce((a, b) => a * b, 1);
  const pooledSize = condSize - hiddenSize;
  const outC = plan.learnedVariance ? 2 * channels : channels;

  async function runChunk(t: number, reqs: DenoiserRequest[]): Promise<DenoiserOutput[]> {
    const n = plan.fixedBatch ?? reqs.length;
    const x = new Float32Array(n * size);
    const c = new Float32Array(n * hiddenSize);
    const pooled = new Float32Array(n * pooledSize);
    for (let i = 0; i < n; i++) {
      const r = reqs[Math.min(i, reqs.length - 1)];
      x.set(r.x, i * size);
      c.set(r.cond.data.subarray(0, hiddenSize), i * hiddenSize);
      if (pooledSize > 0) pooled.set(r.cond.data.subarray(hiddenSize), i * pooledSize);
    }
    const feeds: Record<string, Tensor> = {
      [unet.inputs.sample]: floatTensor(x, [n, channels, height, width], unet.dtype),
      [unet.inputs.timestep]: timestepTensor(t, n, unet.timestep_dtype, plan.scalarTimestep),
      [unet.inputs.cond]: floatTensor(c, [n, ...hiddenDims], unet.dtype),
    };
    if (added) {
      const ids = new Float32Array(n * added.timeIds.dim);
      for (let i = 0; i < n; i++) ids.set(added.timeIdValues, i * added.timeIds.dim);
      feeds[added.textEmbeds.name] = floatTensor(pooled, [n, pooledSize], added.textEmbeds.dtype);
      feeds[added.timeIds.name] = floatTensor(ids, [n, added.timeIds.dim], added.timeIds.dtype);
    }
    if (gc && wEmbedding) {
      const w = new Float32Array(n * gc.dim);
      for (let i = 0; i < n; i++) w.set(wEmbedding, i * gc.dim);
      feeds[gc.name] = floatTensor(w, [n, gc.dim], gc.dtype);
    }
    const { data } = await runFloat(session, feeds, unet.outputs.eps, n * outC * height * width);
    const outputs: DenoiserOutput[] = [];
    for (let i = 0; i < reqs.length; i++) {
      const base = i * outC * height * width;
      const eps = data.slice(base, base + size);
      outputs.push(
        plan.learnedVariance ? { eps, varValues: data.slice(base + size, base + 2 * size) } : { eps },
      );
    }
    return outputs;
  }

  return async (t, batch, signal) => {
    if (batch.length === 0) return [];
    const condDims = batch[0].cond.dims;
    batch.forEach((r, i) => {
      if (r.x.length !== size) {
        throw new ModelError(
          'bad-request',
          `Denoiser request ${i}: x has ${r.x.length} values, expected ${channels}x${height}x${width} = ${size}`,
        );
      }
      if (
        !sameDims(r.cond.dims, plan.condDims) ||
        r.cond.data.length !== condSize ||
        !sameDims(r.cond.dims, condDims)
      ) {
        throw new ModelError(
          'bad-request',
          `Denoiser request ${i}: cond dims [${r.cond.dims.join(', ')}] (${r.cond.data.length} values), expected [${plan.condDims.join(', ')}]`,
        );
      }
    });
    const outputs: DenoiserOutput[] = [];
    for (let start = 0; start < batch.length; start += plan.chunkSize) {
      signal?.throwIfAborted();
      outputs.push(...(await runChunk(t, batch.slice(start, start + plan.chunkSize))));
    }
    return outputs;
  };
}

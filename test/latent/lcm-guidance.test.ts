// LCM models whose UNet takes `timestep_cond` (models/tiny-lcm, built by scripts/make-tiny-lcm.py):
// the runtime finds the input by name and feeds it the guidance-scale embedding of w = guidance - 1
// (diffusers' LatentConsistencyModelPipeline), with no classifier-free guidance: one UNet evaluation
// per step. End to end through the engine and the CLI.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { decodeImage } from '../../src/imaging/index.ts';
import { waitForJob, type JobOwner } from '../../src/jobs/api.ts';
import { guidanceScaleEmbedding } from '../../src/runtime/latent/guidance-embedding.ts';
import { runCli, tempDir } from '../cli/helpers.ts';
import { testConfig } from '../engine/helpers.ts';

const owner: JobOwner = { platform: 'playground', userId: 'u1' };

describe('guidanceScaleEmbedding (diffusers get_guidance_scale_embedding)', () => {
  it('matches torch float32 figures (w 7.5, d 32; w 1, d 8) and is [0.., 1..] at w 0', () => {
    // From torch 1.13: get_guidance_scale_embedding(torch.tensor([7.5]), 32)[0][[0, 1, 5, 15, 16, 17, 31]].
    const e = guidanceScaleEmbedding(7.5, 32);
    const want = [-0.8512359261512756, -0.16545964777469635, 0.5626711249351501, 0.6816387176513672, -0.5247832536697388, 0.9862165451049805, 0.731688916683197];
    [0, 1, 5, 15, 16, 17, 31].forEach((i, k) => expect(e[i]).toBeCloseTo(want[k], 4));
    const small = [0.8268795609474182, 0.6503186821937561, 0.8344632387161255, 0.0998334065079689, 0.5623790621757507, -0.7596614956855774, -0.5510636568069458, 0.9950041770935059];
    Array.from(guidanceScaleEmbedding(1, 8)).forEach((v, i) => expect(v).toBeCloseTo(small[i], 5));
    const zero = guidanceScaleEmbedding(0, 6);
    expect(Array.from(zero)).toEqual([0, 0, 0, 1, 1, 1]);
  });
});

describe('tiny-lcm on the engine', () => {
  let engine: LocalEngine;
  beforeAll(async () => {
    engine = createEngine(testConfig({ MODEL: 'tiny-lcm', USER_MAX_PENDING: '8' }), { defaultMetrics: false });
    await engine.start();
  });
  afterAll(async () => {
    await engine.close();
  });

  async function png(input: object): Promise<{ png: string; timings: Record<string, unknown>; spec: Record<string, unknown> }> {
    const r = await engine.submit(input, owner);
    if (!r.ok) throw new Error(r.message);
    const end = await waitForJob(engine, r.jobId);
    if (end.type !== 'done') throw new Error(`job ended ${end.type}`);
    return {
      png: readFileSync(end.result.files.png).toString('base64'),
      timings: end.result.timings as unknown as Record<string, unknown>,
      spec: end.result.spec as unknown as Record<string, unknown>,
    };
  }

  it('reports the guidance embedding, LCMScheduler and lcm with 4 steps at guidance 8.5 by default', async () => {
    const info = await engine.modelInfo();
    if (!info.ok) throw new Error(info.message);
    expect(info.info).toMatchObject({ guidanceEmbedding: true, defaults: { steps: 4, guidance: 8.5, sampler: 'lcm' } });
    expect(info.info.scheduler?.className).toBe('LCMScheduler');
  });

  it('samples with one UNet evaluation per step; the guidance scale reaches the UNet; same seed, same bytes', async () => {
    const a = await png({ technique: 'imagine', prompt: 'a red apple', seed: 7 });
    expect(a.spec).toMatchObject({ steps: 4, guidance: 8.5, sampler: 'lcm' });
    // No classifier-free guidance: no unconditional evaluation next to the conditional one.
    expect(a.timings).toMatchObject({ unetCalls: 4, unetEvaluations: 4 });
    const again = await png({ technique: 'imagine', prompt: 'a red apple', seed: 7 });
    expect(again.png).toBe(a.png);
    const low = await png({ technique: 'imagine', prompt: 'a red apple', seed: 7, guidance: 2 });
    expect(low.timings).toMatchObject({ unetEvaluations: 4 });
    expect(low.png).not.toBe(a.png);
  });

  it('refuses a negative prompt and steps above original_inference_steps at submit', async () => {
    const neg = await engine.submit({ technique: 'imagine', prompt: 'a cat', negative: 'blurry', seed: 1 }, owner);
    expect(!neg.ok && neg.message).toContain('takes guidance as an input of its UNet');
    const many = await engine.submit({ technique: 'imagine', prompt: 'a cat', seed: 1, steps: 51 }, owner);
    expect(!many.ok && many.message).toContain('Sampler lcm cannot run 51 steps on tiny-lcm');
  });
});

describe('tiny-lcm through the CLI', () => {
  it('diffuse imagine --model tiny-lcm: 4 lcm steps at guidance 8.5; --cfg changes the picture', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const args = ['imagine', 'a red apple', '--model', 'tiny-lcm', '--seed', '5'];
      const a = await runCli([...args, '--json', '-o', 'a.png'], dir);
      expect(a.code, a.stderr).toBe(0);
      expect(JSON.parse(a.stdout)).toMatchObject({ sampler: 'lcm', steps: 4, guidance: 8.5, timings: { loopSteps: 4 } });
      const b = await runCli([...args, '--cfg', '3', '-o', 'b.png'], dir);
      expect(b.code, b.stderr).toBe(0);
      const [pa, pb] = await Promise.all(['a.png', 'b.png'].map((f) => decodeImage(readFileSync(join(dir, f)))));
      expect(Buffer.compare(pa.rgb, pb.rgb)).not.toBe(0);
    } finally {
      cleanup();
    }
  });
});

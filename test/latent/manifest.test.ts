// Manifests of diffusers/optimum ONNX folders, generated from their own config files, and the
// v-prediction -> epsilon conversion.
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forward } from '../../src/diffusion/forward.ts';
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import { fromPrediction, vpLevel } from '../../src/diffusion/samplers/sampler.ts';
import { spacedTimesteps } from '../../src/diffusion/samplers/spacing.ts';
import { parseManifest } from '../../src/runtime/index.ts';
import {
  defaultsFor,
  isLatentLayoutFile,
  manifestFromDiffusersFolder,
} from '../../src/runtime/latent/diffusers.ts';
import { MODELS_DIR } from './helpers.ts';

const scratch: string[] = [];
afterEach(() => {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});
function copyTiny(): string {
  const root = mkdtempSync(join(tmpdir(), 'diffuse-latent-'));
  scratch.push(root);
  const dir = join(root, 'm');
  cpSync(join(MODELS_DIR, 'tiny-sd'), dir, { recursive: true });
  return dir;
}

describe('manifest from a diffusers ONNX folder', () => {
  it("reproduces the committed tiny-sd model.json from the folder's config files", () => {
    const committed = JSON.parse(readFileSync(join(MODELS_DIR, 'tiny-sd', 'model.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const generated = manifestFromDiffusersFolder(join(MODELS_DIR, 'tiny-sd'), {
      name: 'tiny-sd',
      description: committed.description as string,
      license: committed.license as string,
      defaults: { steps: 20, guidance: 7.5 },
    });
    expect(generated).toEqual(committed);
    const m = parseManifest(generated);
    expect(m.scheduler).toMatchObject({
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      beta_end: 0.012,
      clip_sample: false,
    });
    expect(m.vae?.scaling_factor).toBe(0.18215);
    expect(m.image).toEqual({ channels: 3, height: 64, width: 64 });
  });

  it('takes the license from the README front matter and few-step defaults for turbo models', () => {
    const dir = copyTiny();
    writeFileSync(join(dir, 'README.md'), '---\nlicense: openrail++\ntags:\n- onnx\n---\n# model\n');
    const json = manifestFromDiffusersFolder(dir, { name: 'sd-turbo', source: 'stabilityai/sd-turbo@main' });
    expect(json.license).toBe('openrail++');
    expect(json.defaults).toEqual({ steps: 1, guidance: 1, sampler: 'pndm' });
    expect(defaultsFor('stable-diffusion-v1-5')).toEqual({ steps: 50, guidance: 7.5 });
  });

  it("names the sampler of the scheduler's class in the defaults, and refuses a class it does not run", () => {
    const withScheduler = (extra: Record<string, unknown>) => {
      const dir = copyTiny();
      const sched = join(dir, 'scheduler', 'scheduler_config.json');
      writeFileSync(sched, JSON.stringify({ ...JSON.parse(readFileSync(sched, 'utf8')), ...extra }));
      const json = manifestFromDiffusersFolder(dir, { name: 'x' });
      return parseManifest(json).defaults.sampler;
    };
    expect(withScheduler({ _class_name: 'EulerAncestralDiscreteScheduler' })).toBe('euler-a');
    expect(withScheduler({ _class_name: 'DPMSolverMultistepScheduler', use_karras_sigmas: true })).toBe('dpmpp-2m-karras');
    expect(withScheduler({ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'dpmsolver++' })).toBe('dpmpp-2m');
    expect(withScheduler({ _class_name: 'DDIMScheduler' })).toBe('ddim');
    expect(withScheduler({ _class_name: 'PNDMScheduler' })).toBe('pndm');
    expect(withScheduler({ _class_name: 'EulerDiscreteScheduler' })).toBe('euler');
    expect(withScheduler({ _class_name: 'LCMScheduler' })).toBe('lcm');
    expect(() => withScheduler({ _class_name: 'DPMSolverMultistepScheduler', solver_order: 3 })).toThrow(/solver_order = 3/);
    expect(() => withScheduler({ _class_name: 'LMSDiscreteScheduler' })).toThrow(/"LMSDiscreteScheduler" is not supported/);
  });

  it('names a missing file (of an SD or SDXL-style folder), and refuses prediction types the loop does not read', () => {
    const dir = copyTiny();
    unlinkSync(join(dir, 'vae_decoder', 'model.onnx'));
    expect(() => manifestFromDiffusersFolder(dir, { name: 'x' })).toThrow(
      /vae_decoder\/model\.onnx is missing/,
    );
    const dir2 = copyTiny();
    const index = JSON.parse(readFileSync(join(dir2, 'model_index.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      join(dir2, 'model_index.json'),
      JSON.stringify({ ...index, text_encoder_2: ['diffusers', 'OnnxRuntimeModel'] }),
    );
    // an SDXL-style index without the second encoder's files
    expect(() => manifestFromDiffusersFolder(dir2, { name: 'x' })).toThrow(
      /not an SDXL ONNX model folder: text_encoder_2\/model\.onnx is missing/,
    );
    const dir3 = copyTiny();
    const sched = join(dir3, 'scheduler', 'scheduler_config.json');
    writeFileSync(
      sched,
      JSON.stringify({ ...JSON.parse(readFileSync(sched, 'utf8')), _class_name: 'DDIMScheduler', prediction_type: 'sample' }),
    );
    expect(() => manifestFromDiffusersFolder(dir3, { name: 'x' })).not.toThrow();
    writeFileSync(
      sched,
      JSON.stringify({ ...JSON.parse(readFileSync(sched, 'utf8')), prediction_type: 'flow_prediction' }),
    );
    expect(() => manifestFromDiffusersFolder(dir3, { name: 'x' })).toThrow(/prediction_type = "flow_prediction"/);
  });

  it("keeps the scheduler config as published (SD 1.5: PNDMScheduler, leading, steps_offset 1)", () => {
    const dir = copyTiny();
    const sched = join(dir, 'scheduler', 'scheduler_config.json');
    writeFileSync(
      sched,
      JSON.stringify({ ...JSON.parse(readFileSync(sched, 'utf8')), timestep_spacing: 'leading', steps_offset: 1 }),
    );
    const json = manifestFromDiffusersFolder(dir, { name: 'x' }) as { scheduler: Record<string, unknown> };
    expect(json.scheduler).toMatchObject({ _class_name: 'PNDMScheduler', timestep_spacing: 'leading', steps_offset: 1 });
    expect(parseManifest(json).scheduler).toMatchObject({ timestep_spacing: 'leading', steps_offset: 1 });
    expect(spacedTimesteps(50, 1000, 'leading', 1)[0]).toBe(981);
  });

  it('a latent manifest without its VAE section is rejected', () => {
    const json = JSON.parse(readFileSync(join(MODELS_DIR, 'tiny-sd', 'model.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    delete json.vae;
    expect(() => parseManifest(json)).toThrow(/`vae`: missing/);
  });

  it("selects the layout's files of a repository listing", () => {
    const keep = [
      'model_index.json',
      'unet/model.onnx',
      'unet/weights.pb',
      'tokenizer/merges.txt',
      'vae_encoder/config.json',
    ];
    const drop = [
      'safety_checker/model.onnx',
      'feature_extractor/preprocessor_config.json',
      'v1-5.ckpt',
      '.gitattributes',
    ];
    expect(keep.every(isLatentLayoutFile)).toBe(true);
    expect(drop.some(isLatentLayoutFile)).toBe(false);
  });
});

describe('v-prediction', () => {
  it("converts v = sqrt(abar) eps - sqrt(1 - abar) x0 back to eps and x0 at the step's level", async () => {
    const schedule = makeSchedule({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
    const x0 = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));
    const eps = Float32Array.from({ length: 16 }, (_, i) => Math.cos(3 * i));
    const t = 700;
    const a = schedule.alphasCumprod[t];
    const xt = forward(x0, eps, a);
    const v = x0.map((x, i) => Math.sqrt(a) * eps[i] - Math.sqrt(1 - a) * x);
    const out = fromPrediction('v_prediction', v, xt, vpLevel(a));
    for (let i = 0; i < 16; i++) expect(out.eps[i]).toBeCloseTo(eps[i], 5);
    for (let i = 0; i < 16; i++) expect(out.x0[i]).toBeCloseTo(x0[i], 5);
  });
});

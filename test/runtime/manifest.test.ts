import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError, parseManifest, readManifest } from '../../src/runtime/index.ts';
import { MODELS_DIR } from './helpers.ts';

const base = (): Record<string, unknown> =>
  JSON.parse(readFileSync(join(MODELS_DIR, 'test-tiny', 'model.json'), 'utf8'));

function errorOf(fn: () => unknown): ModelError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModelError) return err;
    throw err;
  }
  throw new Error('expected a ModelError');
}

describe('model manifest', () => {
  it('reads the test-tiny manifest with its declared values and defaults', () => {
    const m = readManifest(join(MODELS_DIR, 'test-tiny'));
    expect(m.name).toBe('test-tiny');
    expect(m.family).toBe('pixel');
    expect(m.sample).toEqual({ channels: 3, height: 64, width: 64 });
    expect(m.scheduler.beta_schedule).toBe('squaredcos_cap_v2');
    expect(m.scheduler.variance_type).toBe('fixed_small');
    expect(m.unet.max_batch).toBe(8);
    expect(m.prompt).toMatchObject({ encoder: 'bag-of-words', dim: 16 });
    expect(m.defaults).toEqual({ steps: 33, guidance: 7 });
  });

  it('fills defaults for optional fields', () => {
    const json = base();
    const unet = json.unet as Record<string, unknown>;
    delete unet.dtype;
    delete unet.timestep_dtype;
    delete unet.max_batch;
    delete json.defaults;
    const m = parseManifest(json);
    expect(m.unet.dtype).toBe('float32');
    expect(m.unet.timestep_dtype).toBe('float32');
    expect(m.unet.max_batch).toBe(8);
    expect(m.defaults).toEqual({ steps: 33, guidance: 7 });
  });

  it('reads a default sampler and refuses an unknown one by its path', () => {
    const m = parseManifest({ ...base(), defaults: { steps: 12, guidance: 3, sampler: 'dpmpp-2m' } });
    expect(m.defaults).toEqual({ steps: 12, guidance: 3, sampler: 'dpmpp-2m' });
    const err = errorOf(() => parseManifest({ ...base(), defaults: { sampler: 'plms' } }, 'x/model.json'));
    expect(err.code).toBe('bad-manifest');
    expect(err.message).toContain('`defaults.sampler`');
  });

  it('names a missing field with its path', () => {
    const json = base();
    delete (json.unet as Record<string, unknown>).file;
    const err = errorOf(() => parseManifest(json, 'x/model.json'));
    expect(err.code).toBe('bad-manifest');
    expect(err.message).toContain('x/model.json');
    expect(err.message).toContain('`unet.file`: missing (expected string)');
  });

  it('reads an optional coarse prior and names a reversed ramp by its path', () => {
    const prior = { tiles: 'prior/tiles.png', index: 'prior/tiles.json', from_t: 800, to_t: 300 };
    expect(parseManifest({ ...base(), prior }).prior).toEqual(prior);
    const err = errorOf(() => parseManifest({ ...base(), prior: { ...prior, to_t: 900 } }, 'x/model.json'));
    expect(err.code).toBe('bad-manifest');
    expect(err.message).toContain('`prior`: from_t must be above to_t');
  });

  it('rejects an unknown family, listing the known ones', () => {
    const err = errorOf(() => parseManifest({ ...base(), family: 'gan' }));
    expect(err.message).toContain('`family`');
    expect(err.message).toMatch(/pixel.*latent.*if/);
  });

  it('lists every problem at once', () => {
    const json = base();
    delete json.name;
    (json.sample as Record<string, unknown>).height = -4;
    (json.scheduler as Record<string, unknown>).variance_type = 'learned';
    const err = errorOf(() => parseManifest(json));
    expect(err.message).toContain('`name`: missing');
    expect(err.message).toContain('`sample.height`');
    expect(err.message).toContain('`scheduler.variance_type`');
  });

  it('rejects an unknown prompt encoder', () => {
    const json = base();
    (json.prompt as Record<string, unknown>).encoder = 'telepathy';
    expect(errorOf(() => parseManifest(json)).message).toContain('`prompt.encoder`');
  });

  it('reports a folder without model.json and invalid JSON clearly', () => {
    expect(errorOf(() => readManifest('/nonexistent/model-dir')).message).toContain(
      'Cannot read model manifest /nonexistent/model-dir/model.json',
    );
  });
});

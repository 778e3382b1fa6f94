// Engine.understand: what a model understands of a text, asked of the inference process before any job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { baseEmoji } from '../../src/runtime/prompt/emoji.ts';
import { testConfig } from './helpers.ts';

describe('engine.understand (the bundled emoji model, in the inference process)', () => {
  let engine: LocalEngine;
  beforeAll(() => {
    engine = createEngine(testConfig({ MODEL: 'emoji' }), { defaultMetrics: false });
  });
  afterAll(async () => {
    await engine.close();
  });

  it('answers the concepts with weights, dropped and unknown words, and matching vocabulary, with no job', async () => {
    const r = await engine.understand('a cup of hot coffee with zorblax');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const u = r.understanding;
    expect(u.model).toBe('emoji');
    expect(u.concepts).toBe(true);
    expect(baseEmoji(u.understood[0].emoji!)).toBe('☕');
    expect(u.understood[0].weight).toBe(1);
    expect(u.dropped).toContainEqual({ word: 'cup', why: 'measure' });
    expect(u.unknown).toEqual(['zorblax']);
    expect(u.examples.length).toBeGreaterThan(0);
    expect((await engine.listQueue()).length).toBe(0);
  });

  it('refuses an unknown model and a text longer than a prompt may be', async () => {
    expect(await engine.understand('a dog', 'no-such-model')).toMatchObject({ ok: false, code: 'not_found' });
    expect(await engine.understand('a dog '.repeat(500))).toMatchObject({ ok: false, code: 'invalid_spec' });
  });
});

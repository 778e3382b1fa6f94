import { describe, expect, it } from 'vitest';
import { buildCaption } from '../../commands/caption.ts';
import { noPing, progressBar, formatDuration } from '../../commands/format.ts';
import type { JobResult } from '../../src/jobs/api.ts';
import { parseJobSpec, resolveJobSpec } from '../../src/jobs/spec.ts';

function result(input: Record<string, unknown>, extra: Partial<JobResult> = {}): JobResult {
  const p = parseJobSpec({ seed: 42, ...input });
  if (!p.ok) throw new Error(p.message);
  // The engine resolves the model's defaults (test-tiny's: 33 steps, guidance 7) before a job runs.
  const r = resolveJobSpec(p.spec, { steps: 33, guidance: 7 });
  if (!r.ok) throw new Error(r.message);
  const s = r.spec;
  return {
    jobId: 'abc123',
    model: 'test-tiny',
    spec: s,
    timings: { queuedMs: 0, totalMs: 4200, modelMs: 4000, perStepMs: 120 },
    prompts: [],
    understood: [
      { label: '🚀 rocket', weight: 1 },
      { label: '🚢 ship', weight: 1 },
    ],
    unknown: [],
    files: { png: '', rawPng: '', gif: null, width: 512, height: 512, gifFrames: 0, gifBytes: 0 },
    ...extra,
  };
}

describe('buildCaption', () => {
  it('names technique, prompt, settings, model, time and what was understood', () => {
    expect(buildCaption(result({ technique: 'imagine', prompt: 'a rocket ship' }))).toBe(
      [
        '**imagine** "a rocket ship"',
        'seed 42 · 33 steps · guidance 7 · test-tiny · 4.2 s',
        'understood: 🚀 rocket, 🚢 ship',
        'job `abc123`',
      ].join('\n'),
    );
  });

  it('names an upscale for what it is, and counts the steps an SDEdit ran ("5 of 33 steps", as its progress did)', () => {
    const up = buildCaption(result({ technique: 'sketch', prompt: 'a cat', image: 'a'.repeat(64), noiseLevel: 28, upscale: true }), { style: 'plain' });
    expect(up.split('\n')[0]).toBe('upscale "a cat" · noise level 28');
    expect(up.split('\n')[1]).toBe('seed 42 · 5 of 33 steps · guidance 7 · test-tiny · 4.2 s');
    const sketch = buildCaption(result({ technique: 'sketch', image: 'a'.repeat(64), noiseLevel: 10 }), { style: 'plain' });
    expect(sketch.split('\n')[0]).toBe('sketch noise level 10');
    expect(sketch.split('\n')[1]).toContain('23 of 33 steps');
  });

  it('shows guidance that is off (1 or less) as "no guidance"', () => {
    const text = buildCaption(result({ technique: 'imagine', prompt: 'a rocket', steps: 4, guidance: 0 }));
    expect(text.split('\n')[1]).toBe('seed 42 · 4 steps · no guidance · test-tiny · 4.2 s');
  });

  it('lists unknown words and the negative prompt; slack style', () => {
    const text = buildCaption(result({ technique: 'imagine', prompt: 'a zorb rocket', negative: 'dark' }, { unknown: ['zorb'] }), { style: 'slack' });
    expect(text.split('\n')[0]).toBe('*imagine* "a zorb rocket" · negative: "dark"');
    expect(text).toContain('unknown words: zorb');
  });

  it('describes each technique', () => {
    expect(buildCaption(result({ technique: 'anagram', prompt: 'an old man', prompt2: 'a campfire' })).split('\n')[0]).toBe(
      '**anagram** "an old man" ↔ "a campfire" (view: flip)',
    );
    expect(buildCaption(result({ technique: 'hybrid', prompt: 'a skull', prompt2: 'a waterfall' })).split('\n')[0]).toBe(
      '**hybrid** far: "a skull" · near: "a waterfall"',
    );
    const noise = buildCaption(result({ technique: 'noise', image: 'a'.repeat(64) }), { style: 'plain' }).split('\n');
    expect(noise[0]).toBe('noise t = 250, 500, 750');
    expect(noise[1]).toBe('seed 42 · test-tiny · 4.2 s');
    expect(buildCaption(result({ technique: 'denoise', image: 'a'.repeat(64), method: 'blur', t: [300] })).split('\n')[0]).toBe(
      '**denoise** t = 300 · method: blur',
    );
    expect(buildCaption(result({ technique: 'sketch', image: 'a'.repeat(64), prompt: 'a castle', noiseLevel: 5 })).split('\n')[0]).toBe(
      '**sketch** "a castle" · noise level 5',
    );
  });

  it('never contains a mention that pings', () => {
    const text = buildCaption(
      result({ technique: 'anagram', prompt: '@everyone look', prompt2: '<@123456> and <@&999> @here', negative: '<#42>' }, { unknown: ['@here'] }),
    );
    expect(text).not.toMatch(/@everyone|@here|<@\d|<@&|<#\d/);
    expect(text).toContain('@\u200beveryone');
  });

  it('cuts long captions to the limit', () => {
    const text = buildCaption(result({ technique: 'imagine', prompt: 'word '.repeat(99) }), { maxLength: 100 });
    expect(text.length).toBe(100);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('format helpers', () => {
  it('noPing breaks Slack and Discord mention syntax', () => {
    expect(noPing('<!channel> <@U1> @everyone')).toBe('<\u200b!channel> <\u200b@\u200bU1> @\u200beveryone');
  });
  it('progressBar and formatDuration', () => {
    expect(progressBar(8, 32, 8)).toBe('▰▰▱▱▱▱▱▱ 8/32');
    expect(progressBar(40, 32, 4)).toBe('▰▰▰▰ 32/32');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
  });
});

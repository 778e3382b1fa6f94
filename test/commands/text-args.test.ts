import { describe, expect, it } from 'vitest';
import { getCommand, parseTextCommand } from '../../commands/index.ts';
import { coerceOptions, parseTextArgs, splitCommandLine } from '../../commands/text-args.ts';

const spec = (name: string) => getCommand(name)!.spec;

describe('splitCommandLine', () => {
  it('reads the name with or without a slash', () => {
    expect(splitCommandLine('/imagine a rocket')).toEqual({ name: 'imagine', rest: 'a rocket' });
    expect(splitCommandLine('  Imagine   a rocket ')).toEqual({ name: 'imagine', rest: 'a rocket' });
    expect(splitCommandLine('/queue')).toEqual({ name: 'queue', rest: '' });
    expect(splitCommandLine('   ')).toBeNull();
  });
});

describe('parseTextArgs', () => {
  it('fills the prompt from free text and reads --name value flags', () => {
    const r = parseTextArgs('a rocket ship --seed 3 --cfg 5', spec('imagine'));
    expect(r).toEqual({ ok: true, options: { prompt: 'a rocket ship', seed: 3, cfg: 5 }, missingImages: [] });
  });

  it('reads name:value and --name=value forms', () => {
    const r = parseTextArgs('a rocket ship seed:3 --steps=20 cfg=2.5', spec('imagine'));
    expect(r).toEqual({ ok: true, options: { prompt: 'a rocket ship', seed: 3, steps: 20, cfg: 2.5 }, missingImages: [] });
  });

  it('lets a text option run to the next option, or take one quoted string', () => {
    expect(parseTextArgs('a rocket --negative blurry dark --seed 1', spec('imagine'))).toMatchObject({
      ok: true,
      options: { prompt: 'a rocket', negative: 'blurry dark', seed: 1 },
    });
    expect(parseTextArgs('--negative "blurry dark" a rocket', spec('imagine'))).toMatchObject({
      ok: true,
      options: { prompt: 'a rocket', negative: 'blurry dark' },
    });
    expect(parseTextArgs('prompt:a red car seed:9', spec('imagine'))).toMatchObject({ ok: true, options: { prompt: 'a red car', seed: 9 } });
    expect(parseTextArgs('a dog --negative=blurry dark', spec('imagine'))).toMatchObject({ ok: true, options: { prompt: 'a dog', negative: 'blurry dark' } });
  });

  it('accepts an em dash for -- (phones autocorrect it)', () => {
    expect(parseTextArgs('a dog —seed 7', spec('imagine'))).toMatchObject({ ok: true, options: { prompt: 'a dog', seed: 7 } });
  });

  it('splits two-prompt commands on |', () => {
    expect(parseTextArgs('an old man | a campfire', spec('anagram'))).toEqual({
      ok: true,
      options: { prompt_upright: 'an old man', prompt_flipped: 'a campfire' },
      missingImages: [],
    });
    expect(parseTextArgs('a skull|a waterfall seed:4', spec('hybrid'))).toMatchObject({
      ok: true,
      options: { prompt_far: 'a skull', prompt_near: 'a waterfall', seed: 4 },
    });
  });

  it('matches choices by value, case and dashes', () => {
    expect(parseTextArgs('a | b --view ROTATE180', spec('anagram'))).toMatchObject({ ok: true, options: { view: 'rotate180' } });
    expect(parseTextArgs('a | b view:patch_shuffle', spec('anagram'))).toMatchObject({ ok: true, options: { view: 'patch-shuffle' } });
    expect(parseTextArgs('--method one-step --t 300', spec('denoise'))).toMatchObject({
      ok: true,
      options: { method: 'one-step', t: 300 },
      missingImages: ['image'],
    });
  });

  it('fills an option with choices from free text when the command has no free-text option', () => {
    expect(parseTextArgs('sketch', spec('help'))).toEqual({ ok: true, options: { command: 'sketch' }, missingImages: [] });
    expect(parseTextCommand('/help Sketch')).toMatchObject({ ok: true, options: { command: 'sketch' } });
    expect(parseTextArgs('paint', spec('help'))).toEqual({ ok: false, error: expect.stringMatching(/^command must be one of imagine, sketch/) });
    // A free-text option still comes first: cancel's job id.
    expect(parseTextArgs('k3x9', spec('cancel'))).toMatchObject({ ok: true, options: { job: 'k3x9' } });
  });

  it('reports required image options as missing for the adapter to fill', () => {
    expect(parseTextArgs('a cat', spec('sketch'))).toEqual({ ok: true, options: { prompt: 'a cat' }, missingImages: ['image'] });
    expect(parseTextArgs('a hat', spec('inpaint'))).toEqual({ ok: true, options: { prompt: 'a hat' }, missingImages: ['image'] });
  });

  it('gives clear errors', () => {
    const err = (text: string, cmd: string) => {
      const r = parseTextArgs(text, spec(cmd));
      expect(r.ok).toBe(false);
      return r.ok ? '' : r.error;
    };
    expect(err('--seed 3', 'imagine')).toMatch(/needs prompt/);
    expect(err('a rocket --seed abc', 'imagine')).toBe('seed must be a number (got "abc").');
    expect(err('a rocket --seed 1.5', 'imagine')).toBe('seed must be a whole number (got 1.5).');
    expect(err('a rocket --steps 500', 'imagine')).toBe('steps must be between 1 and 100 (got 500).');
    expect(err('a rocket --size 3', 'imagine')).toMatch(/has no option "size"/);
    expect(err('a rocket --seed', 'imagine')).toMatch(/seed needs a value/);
    expect(err('a rocket --seed 1 --seed 2', 'imagine')).toBe('seed is given twice.');
    expect(err('an old man', 'anagram')).toMatch(/separated by \|/);
    expect(err('a | b | c', 'anagram')).toMatch(/takes 2 text parts but got 3/);
    expect(err('a | b --view sideways', 'anagram')).toMatch(/^view must be one of identity, flip/);
    expect(err('something', 'queue')).toMatch(/takes no free text/);
    expect(err('x --image foo.png', 'sketch')).toMatch(/attach a file/);
    expect(err('x'.repeat(501), 'imagine')).toBe('prompt is too long: 501 characters (at most 500).');
  });

  it('keeps words with colons that are not option names in the prompt', () => {
    expect(parseTextArgs('note: a cat at 10:30', spec('imagine'))).toMatchObject({ ok: true, options: { prompt: 'note: a cat at 10:30' } });
  });
});

describe('coerceOptions', () => {
  it('converts form strings by type', () => {
    expect(coerceOptions(spec('imagine'), { prompt: 'a dog', seed: '12', cfg: '3.5' })).toEqual({
      ok: true,
      options: { prompt: 'a dog', seed: 12, cfg: 3.5 },
      missingImages: [],
    });
  });
});

describe('parseTextCommand', () => {
  it('finds the command and its options', () => {
    const r = parseTextCommand('/imagine a rocket ship --seed 3');
    expect(r.ok && r.command.spec.name).toBe('imagine');
    expect(r.ok && r.options).toEqual({ prompt: 'a rocket ship', seed: 3 });
  });
  it('names unknown commands', () => {
    expect(parseTextCommand('/paint a dog')).toEqual({ ok: false, error: 'There is no command /paint. Try /help.' });
  });
});

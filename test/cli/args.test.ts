// Argument parsing of the CLI: strict numbers, subcommand options, positionals, spec messages.
import { describe, expect, it } from 'vitest';
import {
  parseCommandLine,
  parseFloatArg,
  parseIntArg,
  parseIntListArg,
  specMessageForCli,
  SUBCOMMANDS,
} from '../../src/adapters/cli/args.ts';
import { UsageError } from '../../src/adapters/cli/errors.ts';
import { TECHNIQUES } from '../../src/jobs/spec.ts';

describe('number arguments', () => {
  it('parseIntArg accepts whole numbers only', () => {
    expect(parseIntArg('--seed', '42')).toBe(42);
    expect(parseIntArg('--seed', ' -7 ')).toBe(-7);
    for (const bad of ['abc', '3.5', '', '1e3', '0x10', '4 2', 'NaN'])
      expect(() => parseIntArg('--seed', bad)).toThrow(UsageError);
  });

  it('parseFloatArg accepts finite decimals with an optional exponent', () => {
    expect(parseFloatArg('--cfg', '7.5')).toBe(7.5);
    expect(parseFloatArg('--cfg', '.5')).toBe(0.5);
    expect(parseFloatArg('--cfg', '2e1')).toBe(20);
    for (const bad of ['abc', '', 'Infinity', 'NaN', '1e999', '0x10', '1,5'])
      expect(() => parseFloatArg('--cfg', bad)).toThrow(/--cfg must be a number/);
  });

  it('parseIntListArg splits on commas', () => {
    expect(parseIntListArg('--t', '250, 500,750')).toEqual([250, 500, 750]);
    for (const bad of ['250,', '250,,500', 'a,b', '2.5'])
      expect(() => parseIntListArg('--t', bad)).toThrow(UsageError);
  });
});

describe('parseCommandLine', () => {
  it('has one subcommand per engine technique, plus models', () => {
    expect([...SUBCOMMANDS]).toEqual([...TECHNIQUES, 'models']);
  });

  it('maps imagine flags onto spec fields', () => {
    const r = parseCommandLine([
      'imagine',
      'a',
      'red',
      'rocket',
      '--negative',
      'blur',
      '--seed',
      '9',
      '--steps',
      '12',
      '--cfg',
      '4.5',
      '-o',
      'x.png',
      '--gif',
      'x.gif',
      '--json',
      '--model',
      'm',
    ]);
    expect(r).toEqual({
      kind: 'run',
      technique: 'imagine',
      input: {
        technique: 'imagine',
        prompt: 'a red rocket',
        negative: 'blur',
        seed: 9,
        steps: 12,
        guidance: 4.5,
      },
      imagePath: undefined,
      maskPath: undefined,
      stepsGiven: true,
      cfgGiven: true,
      model: 'm',
      output: 'x.png',
      gif: 'x.gif',
      json: true,
    });
  });

  it('takes options as chat writes them (--noise_level, --noise_level=3) as well; a prompt after -- stays as it is', () => {
    for (const args of [['--noise_level', '3'], ['--noise_level=3']])
      expect(parseCommandLine(['sketch', 'in.png', ...args])).toMatchObject({ kind: 'run', input: { noiseLevel: 3 } });
    expect(parseCommandLine(['sketch', 'in.png', '--', '--noise_level'])).toMatchObject({ input: { prompt: '--noise_level' } });
  });

  it('--prior on|off sets the coarse prior of the techniques that draw with it', () => {
    expect(parseCommandLine(['imagine', 'a cat', '--prior', 'off'])).toMatchObject({ input: { prior: false } });
    expect(parseCommandLine(['anagram', 'a', 'b', '--prior=on'])).toMatchObject({ input: { prior: true } });
    expect(() => parseCommandLine(['imagine', 'a cat', '--prior', 'maybe'])).toThrow(/--prior must be on or off/);
  });

  it('reads the image and optional prompt of sketch, and the technique options of each subcommand', () => {
    const s = parseCommandLine(['sketch', 'in.png', '--noise-level', '3']);
    expect(s).toMatchObject({
      kind: 'run',
      imagePath: 'in.png',
      input: { technique: 'sketch', noiseLevel: 3 },
      stepsGiven: false,
      cfgGiven: false,
    });
    expect((s as { input: Record<string, unknown> }).input.prompt).toBeUndefined();
    expect(parseCommandLine(['inpaint', 'in.png', 'a', 'dog', '--mask', 'm.png'])).toMatchObject({
      imagePath: 'in.png',
      maskPath: 'm.png',
      input: { prompt: 'a dog' },
    });
    expect(parseCommandLine(['anagram', 'old man', 'dog', '--view', 'flip'])).toMatchObject({
      input: { prompt: 'old man', prompt2: 'dog', view: 'flip' },
    });
    expect(
      parseCommandLine(['hybrid', 'skull', 'waterfall', '--sigma', '1.5', '--kernel', '21']),
    ).toMatchObject({ input: { hybrid: { sigma: 1.5, kernel: 21 } } });
    expect(parseCommandLine(['noise', 'in.png', '--t', '100,900'])).toMatchObject({
      input: { t: [100, 900] },
    });
    expect(parseCommandLine(['denoise', 'in.png', '--t', '600', '--method', 'blur'])).toMatchObject({
      input: { t: [600], method: 'blur' },
    });
    expect(parseCommandLine(['models', '--json'])).toEqual({ kind: 'models', json: true, model: undefined });
  });

  it('reads a follow-up: the image is an earlier result, cut and moved as --follow-up and --candidate say', () => {
    expect(parseCommandLine(['inpaint', 'raw.png', 'a sea', '--follow-up', 'zo2'])).toMatchObject({
      imagePath: 'raw.png',
      input: { technique: 'inpaint', prompt: 'a sea', source: { action: 'zo2', candidate: 1, count: 1 } },
    });
    expect(parseCommandLine(['sketch', 'raw.png', '--follow-up', 'u', '--candidate', '2/4', '--upscale'])).toMatchObject({
      input: { technique: 'sketch', upscale: true, source: { action: 'u', candidate: 2, count: 4 } },
    });
    expect(() => parseCommandLine(['sketch', 'raw.png', '--candidate', '2/4'])).toThrow(/--candidate needs --follow-up/);
    expect(() => parseCommandLine(['sketch', 'raw.png', '--follow-up', 'u', '--candidate', '2'])).toThrow(
      /--candidate must be N\/COUNT/,
    );
    expect(() => parseCommandLine(['imagine', 'x', '--follow-up', 'u'])).toThrow(/unknown option '--follow-up' for imagine/);
  });

  it('answers help requests', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['help', 'noise'])).toEqual({ kind: 'help', subcommand: 'noise' });
    expect(parseCommandLine(['noise', '--help'])).toEqual({ kind: 'help', subcommand: 'noise' });
    expect(parseCommandLine(['imagine', '-h', '--bogus-after'])).toEqual({
      kind: 'help',
      subcommand: 'imagine',
    });
  });

  it('rejects bad usage with UsageError', () => {
    const bad: [string[], RegExp][] = [
      [[], /missing subcommand/],
      [['paint'], /unknown subcommand 'paint'/],
      [['imagine'], /imagine needs <prompt>/],
      [['inpaint', 'in.png'], /inpaint needs <prompt>/],
      [['noise', 'a.png', 'b.png'], /noise takes 1 argument; unexpected 'b\.png'/],
      [['imagine', 'x', '--view', 'flip'], /unknown option '--view' for imagine/],
      [['imagine', 'x', '-o'], /--output needs a value/],
      [['imagine', 'x', '--json=yes'], /--json does not take a value/],
      [['imagine', 'x', '-o', ''], /--output needs a file path/],
      [['sketch', ''], /needs <image>/],
    ];
    for (const [argv, re] of bad) expect(() => parseCommandLine(argv), argv.join(' ')).toThrow(re);
  });
});

describe('specMessageForCli', () => {
  it('names the flag that sets the field', () => {
    expect(specMessageForCli('Steps must be at least 1.')).toBe('--steps must be at least 1');
    expect(specMessageForCli('Guidance must be at most 30.')).toBe('--cfg must be at most 30');
    expect(specMessageForCli('Noise level must be below the step count (5).')).toBe(
      '--noise-level must be below the step count (5)',
    );
    expect(specMessageForCli('T must be at least 1.')).toBe('--t must be at least 1');
    expect(specMessageForCli('Imagine needs a prompt.')).toBe('imagine needs a prompt');
    expect(specMessageForCli('Candidate must be at most the candidate count.')).toBe(
      '--candidate must be at most the candidate count',
    );
  });
});

// The CLI in-process (runCli with captured streams): usage errors and their one-line messages,
// help, the progress bar on a TTY only, and the human summary lines.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/adapters/cli.ts';
import { tempDir, writeTestPng } from './helpers.ts';

let dir: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  await writeTestPng(join(dir, 'photo.png'), 32, 32);
});
afterAll(() => cleanup());

async function run(argv: string[], tty = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { isTTY: tty, columns: 100, write: (s: string) => (stderr += s) },
    env: { MODELS_DIR: join(import.meta.dirname, '..', '..', 'models'), DISPLAY_SIZE: '64' },
  });
  return { code, stdout, stderr };
}

function expectUsage(r: { code: number; stdout: string; stderr: string }, re: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^diffuse: /);
  expect(r.stderr).toMatch(re);
}

const M = ['--model', 'test-tiny'];
const img = (name: string) => join(dir, name);

describe('usage errors exit 2 with one line', () => {
  it.each([
    [[], /missing subcommand/],
    [['--model', 'x'], /expected a subcommand before '--model'/],
    [['imagine', 'rocket', '--colour', 'red', ...M], /unknown option '--colour' for imagine/],
    [['noise', 'photo.png', '--steps', '5', ...M], /unknown option '--steps' for noise/],
    [['imagine', 'rocket', '--seed'], /--seed needs a value/],
    [['imagine', 'rocket', '--json=yes'], /--json does not take a value/],
    [['anagram', 'rocket', ...M], /anagram needs <prompt-transformed>/],
    [['hybrid', 'a', 'b', 'c', ...M], /hybrid takes 2 arguments; unexpected 'c' \(quote prompts/],
    [['imagine', 'rocket', '--cfg', 'lots', ...M], /--cfg must be a number \(got 'lots'\)/],
    [['imagine', 'rocket', '--cfg', '1e999', ...M], /--cfg must be a number/],
    [['imagine', 'rocket', '--cfg', '31', ...M], /--cfg must be at most 30/],
    [['imagine', 'rocket', '--seed', '4294967296', ...M], /--seed must be at most 4294967295/],
    [['hybrid', 'a', 'b', '--kernel', '4', ...M], /--kernel must be an odd number/],
    [['anagram', 'a', 'b', '--view', 'sideways', ...M], /--view: unknown view; use one of identity, flip/],
  ] as [string[], RegExp][])('%j', async (argv, re) => {
    expectUsage(await run(argv), re);
  });

  it('a malformed timestep list', async () => {
    expectUsage(
      await run(['noise', img('photo.png'), '--t', '250,x', ...M]),
      /--t must be whole numbers separated by commas/,
    );
  });

  it('a timestep out of range', async () => {
    expectUsage(await run(['noise', img('photo.png'), '--t', '250,1000', ...M]), /--t must be at most 999/);
  });

  it('denoise with two timesteps', async () => {
    expectUsage(
      await run(['denoise', img('photo.png'), '--t', '250,500', ...M]),
      /--t must be a whole number/,
    );
  });

  it('an unknown denoise method', async () => {
    expectUsage(
      await run(['denoise', img('photo.png'), '--method', 'magic', ...M]),
      /--method must be one of blur, one-step, iterative, all/,
    );
  });

  it('a noise level past the step count', async () => {
    expectUsage(
      await run(['sketch', img('photo.png'), '--noise-level', '9', '--steps', '5', ...M]),
      /--noise-level must be below the step count \(5\)/,
    );
  });

  it('inpainting an opaque image without --mask', async () => {
    expectUsage(await run(['inpaint', img('photo.png'), 'dog', '--steps', '2', ...M]), /needs a mask/);
  });

  it('a directory given as the image', async () => {
    expectUsage(await run(['noise', dir, ...M]), /is a directory/);
  });

  it('a model path without model.json', async () => {
    expectUsage(await run(['imagine', 'rocket', '--model', dir]), /no model\.json/);
  });

  it('a bad setting in the environment', async () => {
    let stderr = '';
    const code = await runCli(['imagine', 'rocket', ...M], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      env: { MAX_STEPS: 'many' },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^diffuse: Invalid configuration: MAX_STEPS must be a number\n$/);
  });
});

describe('help', () => {
  it('--help prints the overview on stdout and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const sub of ['imagine', 'sketch', 'inpaint', 'anagram', 'hybrid', 'noise', 'denoise', 'models'])
      expect(r.stdout).toContain(`diffuse ${sub}`);
  });

  it('<subcommand> --help and help <subcommand> print its options', async () => {
    for (const argv of [
      ['denoise', '--help'],
      ['help', 'denoise'],
      ['denoise', '-h'],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('--method M');
      expect(r.stdout).toContain('--model NAME|PATH');
    }
  });
});

describe('a run in human mode', () => {
  it('draws a progress bar on a TTY and clears it, then prints the understood words and the output path', async () => {
    const out = join(dir, 'tty.png');
    const r = await run(['imagine', 'rocket zorb', ...M, '--steps', '3', '--seed', '1', '-o', out], true);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(out + '\n');
    const bars = r.stderr.match(/\rimagine \[[#.]+\]\s+\d\/3/g) ?? [];
    expect(bars.map((b) => b.slice(-3))).toEqual(['1/3', '2/3', '3/3']);
    expect(r.stderr).toContain('\r\x1b[K');
    expect(r.stderr).toContain('understood: 🚀 rocket; unknown: zorb\n');
    expect(r.stderr).toMatch(/imagine: seed 1, 3 steps at [\d.]+ ms/);
  });

  it('draws no progress bar when stderr is not a TTY', async () => {
    const r = await run(
      ['imagine', 'rocket', ...M, '--steps', '3', '--seed', '1', '-o', join(dir, 'pipe.png')],
      false,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('[#');
  });

  it('--json prints nothing but the object, even on a TTY it only adds the bar to stderr', async () => {
    const r = await run(
      ['imagine', 'rocket', ...M, '--steps', '2', '--seed', '1', '--json', '-o', join(dir, 'j.png')],
      true,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).seed).toBe(1);
    expect(r.stderr.replace(/\r[^\r]*/g, '')).toBe('');
  });
});

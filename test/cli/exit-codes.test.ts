// Exit codes and one-line messages of the `diffuse` process: 2 for bad usage or bad input, 1 for
// a runtime failure (a corrupt model). More usage cases run in-process in run-cli.test.ts.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PIXELS } from '../../src/imaging/index.ts';
import { MODELS_DIR, runCli, tempDir, writeHugeHeaderPng, writeTestPng, type CliRun } from './helpers.ts';

const MODEL = ['--model', 'test-tiny'];
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  await writeTestPng(join(dir, 'photo.png'), 32, 32);
  writeFileSync(join(dir, 'notes.txt'), 'this is not an image\n');
  writeHugeHeaderPng(join(dir, 'huge.png'), 6000, 5000);
  cpSync(join(MODELS_DIR, 'test-tiny'), join(dir, 'corrupt-model'), { recursive: true });
  writeFileSync(join(dir, 'corrupt-model', 'unet.onnx'), Buffer.from('definitely not a protobuf'.repeat(40)));
  mkdirSync(join(dir, 'out-dir'));
  execFileSync('mkfifo', [join(dir, 'pipe.png')]);
});
afterAll(() => cleanup());

/** The run failed with `code` and exactly one stderr line `diffuse: ...` matching `re`, and wrote nothing on stdout. */
function expectFailure(r: CliRun, code: number, re: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^diffuse: /);
  expect(lines[0]).toMatch(re);
}

describe('exit code 2 for bad usage or bad input', () => {
  it('a missing image file', async () => {
    expectFailure(
      await runCli(['sketch', 'nope.png', ...MODEL], dir),
      2,
      /cannot read image 'nope\.png': no such file/,
    );
  });

  it('a missing mask file', async () => {
    expectFailure(
      await runCli(['inpaint', 'photo.png', 'dog', '--mask', 'gone.png', ...MODEL], dir),
      2,
      /cannot read mask 'gone\.png'/,
    );
  });

  it('a non-image (a text file)', async () => {
    expectFailure(await runCli(['noise', 'notes.txt', ...MODEL], dir), 2, /notes\.txt.*not an image/);
  });

  it('an oversized image (its header declares more pixels than the limit)', async () => {
    expect(6000 * 5000).toBeGreaterThan(DEFAULT_MAX_PIXELS);
    expectFailure(
      await runCli(['denoise', 'huge.png', ...MODEL], dir),
      2,
      /6000x5000 pixels; the limit is 25 megapixels/,
    );
  });

  it('a malformed number: --seed abc', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '--seed', 'abc', ...MODEL], dir),
      2,
      /--seed must be a whole number \(got 'abc'\)/,
    );
  });

  it('a malformed number: --steps 3.5', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '--steps', '3.5', ...MODEL], dir),
      2,
      /--steps must be a whole number/,
    );
  });

  it('an out-of-range number: --steps 0', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '--steps', '0', ...MODEL], dir),
      2,
      /--steps must be at least 1/,
    );
  });

  it('an unknown subcommand', async () => {
    expectFailure(await runCli(['paint', 'rocket'], dir), 2, /unknown subcommand 'paint'/);
  });

  it('a model that is not installed, naming the installed ones', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '--model', 'emoji-xl'], dir),
      2,
      /model 'emoji-xl' is not installed; installed: .*test-tiny/,
    );
  });
});

describe('inputs that are not regular files, and outputs that cannot be written', () => {
  it('a device: refused from fstat, never read (/dev/zero would read forever)', async () => {
    expectFailure(
      await runCli(['noise', '/dev/zero', ...MODEL], dir),
      2,
      /image '\/dev\/zero' is not a regular file/,
    );
  });

  it('a FIFO with no writer: refused without waiting for one', async () => {
    expectFailure(
      await runCli(['inpaint', 'photo.png', 'dog', '--mask', 'pipe.png', ...MODEL], dir),
      2,
      /mask 'pipe\.png' is not a regular file/,
    );
  });

  // The corrupt model fails with exit 1 when it loads: exit 2 and the output's message prove the
  // outputs were checked before anything ran.
  const CORRUPT = ['--model', './corrupt-model', '--steps', '2'];

  it('-o naming a directory', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '-o', 'out-dir', ...CORRUPT], dir),
      2,
      /-o 'out-dir' is a directory; give a file name/,
    );
  });

  it('-o naming a device that refuses writes (/dev/full) or a FIFO: refused before the run; /dev/null is kept', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '-o', '/dev/full', ...CORRUPT], dir),
      2,
      /-o '\/dev\/full' is not a regular file \(a device, pipe or socket\); give a file name/,
    );
    expectFailure(
      await runCli(['imagine', 'rocket', '--gif', 'pipe.png', ...CORRUPT], dir),
      2,
      /--gif 'pipe\.png' is not a regular file/,
    );
    // /dev/null passes the check: the corrupt model then fails as it loads (exit 1).
    expect((await runCli(['imagine', 'rocket', '-o', '/dev/null', ...CORRUPT], dir)).code).toBe(1);
  });

  it('-o under a file (the parent cannot be a directory)', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '-o', 'notes.txt/sub/rocket.png', ...CORRUPT], dir),
      2,
      /-o 'notes\.txt\/sub\/rocket\.png' cannot be created: '.*notes\.txt' is not a directory/,
    );
    expect(existsSync(join(dir, 'notes.txt', 'sub'))).toBe(false);
  });

  it('--gif naming a directory, or the PNG itself', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '--gif', 'out-dir', ...CORRUPT], dir),
      2,
      /--gif 'out-dir' is a directory/,
    );
    expectFailure(
      await runCli(['imagine', 'rocket', '-o', 'a.png', '--gif', './a.png', ...CORRUPT], dir),
      2,
      /--gif '\.\/a\.png' is the same file as the PNG/,
    );
  });

  it('inpaint with neither --mask nor transparent pixels: refused before the model loads', async () => {
    expectFailure(
      await runCli(['inpaint', 'photo.png', 'dog', ...CORRUPT], dir),
      2,
      /Inpainting needs a mask: attach a mask image/,
    );
  });

  it('a writable new folder is fine: the run gets as far as loading the model', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '-o', 'new/deeper/rocket.png', ...CORRUPT], dir),
      1,
      /Cannot load ONNX model/,
    );
  });
});

describe('exit code 1 for a runtime failure', () => {
  it('a model folder whose onnx file is corrupt', async () => {
    expectFailure(
      await runCli(['imagine', 'rocket', '--model', './corrupt-model', '--steps', '2'], dir),
      1,
      /Cannot load ONNX model .*unet\.onnx/,
    );
  });
});

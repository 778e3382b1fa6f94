import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.ts';

describe('diffuse reads ./.env', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('takes MODEL from .env, and a variable already set wins over the file', async () => {
    writeFileSync(join(dir, '.env'), 'MODEL=test-tiny\n');
    const fromFile = await runCli(['imagine', 'a dog', '--steps', '2', '-o', 'a.png', '--json'], dir);
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout).model).toBe('test-tiny');
    const fromEnv = await runCli(['imagine', 'a dog', '--steps', '2', '-o', 'b.png', '--json'], dir, {
      MODEL: 'test-tiny-learned',
    });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout).model).toBe('test-tiny-learned');
  });
});

// The CLI launcher runs a bundle of src/ (bin/cli-bundle.mjs): built once, rebuilt when a source
// file changes, with each module's import.meta.url left pointing at its source file.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledCli, sourceKey } from '../../bin/cli-bundle.mjs';
import { ROOT, runCli, tempDir } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'diffuse-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('CLI bundle', () => {
  it('the key changes when a source file changes, is added or is removed', () => {
    const src = join(tmp, 'src');
    mkdirSync(join(src, 'a'), { recursive: true });
    writeFileSync(join(src, 'a', 'x.ts'), 'export const x = 1;\n');
    const k1 = sourceKey(src);
    expect(sourceKey(src)).toBe(k1);
    writeFileSync(join(src, 'a', 'x.ts'), 'export const x = 2;\n');
    utimesSync(join(src, 'a', 'x.ts'), new Date(), new Date(Date.now() + 5000));
    const k2 = sourceKey(src);
    expect(k2).not.toBe(k1);
    writeFileSync(join(src, 'y.ts'), '');
    const k3 = sourceKey(src);
    expect(k3).not.toBe(k2);
    rmSync(join(src, 'y.ts'));
    expect(sourceKey(src)).toBe(k2);
  });

  it('the launcher runs the bundle, whose modules keep their own import.meta.url', async () => {
    const url = (await bundledCli()) ?? '';
    expect(url).toMatch(/node_modules\/\.cache\/diffuse\/cli-[0-9a-f]+\/cli\.mjs$/);
    const bundleDir = dirname(fileURLToPath(url));
    const text = readdirSync(bundleDir)
      .map((f) => readFileSync(join(bundleDir, f), 'utf8'))
      .join('\n');
    expect(text).not.toMatch(/import\.meta\.url/);
    expect(text).toContain(JSON.stringify(new URL('../../src/runtime/models-dir.ts', import.meta.url).href));
    // Only the bundle of the current sources is kept.
    expect(
      readdirSync(join(ROOT, 'node_modules', '.cache', 'diffuse')).filter((f) => f.startsWith('cli-')),
    ).toHaveLength(1);
    // The bundled CLI finds the bundled models next to its sources.
    const { dir, cleanup } = tempDir();
    try {
      const r = await runCli(['models'], dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/emoji/);
    } finally {
      cleanup();
    }
    expect(existsSync(new URL(url))).toBe(true);
  });
});

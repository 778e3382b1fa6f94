// DATA_DIR's check names the real cause of a failure: a recursive mkdir reports ENOENT when a part
// of the path is a file or a folder above cannot be written, so the nearest existing folder is
// asked (test/e2e/startup.test.ts runs the read-only cases against the real entry point).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDataDir, realCause } from '../../src/store/data-dir.ts';
import { JobStore } from '../../src/store/store.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'diffuse-data-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DATA_DIR problems', () => {
  it('a file in the way is named as such, by the check and by the job store', () => {
    writeFileSync(path.join(dir, 'file'), 'x');
    const under = path.join(dir, 'file', 'a', 'b');
    expect(realCause(under, 'ENOENT')).toBe('ENOTDIR');
    expect(checkDataDir(under)).toMatch(/is not writable \(a part of the path is a file, not a folder\)/);
    expect(() => new JobStore(path.join(under, 'jobs.sqlite'))).toThrow(/cannot be opened \(a part of the path is a file, not a folder\)/);
  });

  it('a folder that can be made is fine, and other codes are kept', () => {
    expect(checkDataDir(path.join(dir, 'new', 'data'))).toBeNull();
    expect(realCause(path.join(dir, 'missing'), 'EROFS')).toBe('EROFS');
    // The nearest folder is writable: nothing hides behind ENOENT.
    expect(realCause(path.join(dir, 'missing'), 'ENOENT')).toBe('ENOENT');
  });
});

// lowerImagingThreads moves sharp's libvips worker threads to a lower priority (Linux).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodePng, lowerImagingThreads } from '../../src/imaging/index.ts';

/** Nice values of this process's libvips worker threads (field 19 of /proc/.../stat). */
function vipsNice(): number[] {
  const out: number[] = [];
  for (const t of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() !== 'libvips worker') continue;
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      out.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

describe.runIf(existsSync('/proc/self/task'))('imaging threads (skipped where there is no /proc)', () => {
  it('after an encode, every libvips worker thread gets the given nice value', async () => {
    const rgb = new Uint8Array(256 * 256 * 3).map((_, i) => (i * 7) % 256);
    await encodePng(rgb, 256, 256);
    expect(vipsNice().length).toBeGreaterThan(0);
    lowerImagingThreads(7);
    expect(vipsNice().every((n) => n === 7)).toBe(true);
  });
});

// The playground's own icons are inline SVG (web/icons.ts), not emoji glyphs, which show as empty
// boxes on machines without an emoji font: the page and its scripts carry no emoji, and every
// data-icon the page names is drawn.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ICONS } from '../../src/adapters/playground/web/icons.ts';
import { ROOT } from './helpers.ts';

const WEB = path.join(ROOT, 'src', 'adapters', 'playground', 'web');
/** Pictographs, dingbats, arrows and symbols that need an emoji or symbol font. */
const EMOJI = /[\u{2190}-\u{2BFF}\u{1F000}-\u{1FFFF}]|\u{FE0F}/u;

/** A source without its comments (comments may name the glyphs they replace). */
function code(file: string): string {
  const text = readFileSync(path.join(WEB, file), 'utf8');
  return file.endsWith('.html') ? text.replace(/<!--[\s\S]*?-->/g, '') : text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

describe('playground icons', () => {
  it('the page, its styles and its scripts show no emoji glyphs', () => {
    const files = readdirSync(WEB).filter((f) => /\.(ts|html|css)$/.test(f));
    expect(files).toContain('index.html');
    for (const f of files) expect(EMOJI.exec(code(f))?.[0], f).toBeUndefined();
  });

  it('every data-icon of the page is drawn, each icon with at least one path', () => {
    const names = [...readFileSync(path.join(WEB, 'index.html'), 'utf8').matchAll(/data-icon="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(names)).toEqual(new Set(['attach', 'sketch', 'mask', 'bot', 'regen']));
    for (const n of names) expect(Object.keys(ICONS)).toContain(n);
    for (const paths of Object.values(ICONS)) for (const d of paths) expect(d).toMatch(/^M[\d.\s,a-zA-Z-]+$/);
  });
});

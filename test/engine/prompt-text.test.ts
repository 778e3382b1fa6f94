// Prompt text as it enters a job spec (src/jobs/prompt-text.ts through parseJobSpec, the one
// check every platform's jobs pass): control characters, ANSI escape sequences and bidi
// overrides are removed, and the length limit counts user-perceived characters.
import { describe, expect, it } from 'vitest';
import { parseJobSpec } from '../../src/jobs/spec.ts';
import { characterCount, cleanPromptText } from '../../src/jobs/prompt-text.ts';
import { parseTextArgs } from '../../commands/text-args.ts';
import { getCommand } from '../../commands/index.ts';

function parsed(input: Record<string, unknown>): { ok: true; prompt: string; prompt2?: string; negative?: string } | { ok: false; message: string } {
  const r = parseJobSpec({ technique: 'imagine', ...input });
  return r.ok ? { ok: true, prompt: r.spec.prompt, prompt2: r.spec.prompt2, negative: r.spec.negative } : { ok: false, message: r.message };
}

describe('prompt text', () => {
  it('removes NUL and other C0/C1 controls, ANSI escape sequences and bidi overrides and isolates', () => {
    const raw = 'a\u0000 red\u0007 \u001b[31mrocket\u001b[0m \u001b]0;pwned\u0007over \u202egnp.exe\u202c \u2066x\u2069 \u0085y\u009b2J z\u007f';
    expect(parsed({ prompt: raw })).toEqual({ ok: true, prompt: 'a red rocket over gnp.exe x y z', prompt2: undefined, negative: undefined });
    // Every prompt field of a spec, not only the first.
    const r = parseJobSpec({ technique: 'anagram', prompt: 'a\u001b[1m b', prompt2: 'c\u202e d', negative: 'e\u0000f' });
    expect(r.ok && [r.spec.prompt, r.spec.prompt2, r.spec.negative]).toEqual(['a b', 'c d', 'ef']);
    // Tabs and line breaks are whitespace, collapsed as before.
    expect(cleanPromptText('a\tb\r\nc')).toBe('a b c');
  });

  it('keeps what writes real text: emoji sequences with joiners, variation selectors, combining marks, RTL scripts', () => {
    const text = 'a 👨‍👩‍👧 ❤️ e\u0301 👍🏽 שלום مرحبا 🇫🇷';
    expect(cleanPromptText(text)).toBe(text);
  });

  it('a prompt of nothing but controls is no prompt', () => {
    expect(parsed({ prompt: '\u001b[2J\u0000\u202e' })).toEqual({ ok: false, message: 'Imagine needs a prompt.' });
  });

  it('counts the limit in characters as a reader sees them, and says the real count', () => {
    expect(characterCount('👨‍👩‍👧')).toBe(1);
    expect(characterCount('e\u0301')).toBe(1);
    expect(characterCount('🇫🇷')).toBe(1);
    expect(parsed({ prompt: '😀'.repeat(250) }).ok).toBe(true);
    expect(parsed({ prompt: '😀'.repeat(500) }).ok).toBe(true);
    expect(parsed({ prompt: '👍🏽'.repeat(500) }).ok).toBe(true);
    expect(parsed({ prompt: '😀'.repeat(501) })).toEqual({ ok: false, message: 'Prompt is too long: 501 characters (at most 500).' });
    expect(parsed({ negative: 'x'.repeat(600), prompt: 'a' })).toEqual({ ok: false, message: 'Negative prompt is too long: 600 characters (at most 500).' });
    // Escape sequences do not count: they are gone before the count.
    expect(parsed({ prompt: '\u001b[31m'.repeat(200) + 'x'.repeat(500) }).ok).toBe(true);
    // Combining marks stacked without end are not a way past the limit.
    expect(parsed({ prompt: 'a' + '\u0301'.repeat(20_000) })).toEqual({ ok: false, message: 'Prompt is too long: far more than 500 characters.' });
  });

  it('the text command syntax counts the same way', () => {
    const spec = getCommand('imagine')!.spec;
    expect(parseTextArgs('😀'.repeat(500), spec)).toMatchObject({ ok: true });
    expect(parseTextArgs('😀'.repeat(501), spec)).toEqual({ ok: false, error: 'prompt is too long: 501 characters (at most 500).' });
  });
});

// /model words <text>: what the model understands of a text, before any job.
import { describe, expect, it } from 'vitest';
import { getCommand, parseTextCommand } from '../../commands/index.ts';
import { understandingText } from '../../commands/model.ts';
import type { CommandOptions } from '../../commands/types.ts';
import { fakeEngine, who } from './fake-engine.ts';

async function words(options: CommandOptions, model = 'emoji') {
  const engine = fakeEngine(model);
  return { reply: await getCommand('model')!.execute({ engine, ...who(), options }), engine };
}

describe('/model words', () => {
  it('shows the concepts drawn with their weights, the words dropped and unknown, and vocabulary entries; submits nothing', async () => {
    const { reply, engine } = await words({ words: 'a birthday cake with candles and zorblax' });
    expect(reply.kind).toBe('text');
    const text = (reply as { text: string }).text;
    expect(text).toContain('What **emoji** understands of "a birthday cake with candles and zorblax":');
    expect(text).toMatch(/^Draws: 🎂 birthday cake, 🕯️? candle \(weight 0\.5\)$/mu);
    expect(text).toMatch(/^Unknown words: zorblax$/mu);
    expect(text).toMatch(/^In its vocabulary: .*🎂/mu);
    expect((reply as { ephemeral?: boolean }).ephemeral).toBe(true);
    expect(engine.submitted).toEqual([]);
  });

  it('says why a word is not drawn', async () => {
    const text = ((await words({ words: 'a cup of hot coffee' })).reply as { text: string }).text;
    expect(text).toMatch(/^Draws: ☕️? hot beverage$/mu);
    expect(text).toMatch(/^Not drawn: cup \(a measure or picture word\), hot \(describes another word\)$/mu);
  });

  it('takes "/model words <text>" as a text command line, and /model alone still describes the model', async () => {
    const parsed = parseTextCommand('/model words a rocket ship');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { reply } = await words(parsed.options);
    expect((reply as { text: string }).text).toContain('understands of "a rocket ship"');
    expect((reply as { text: string }).text).toMatch(/^Draws: 🚀 rocket ship$/mu);
    expect((await words({})).reply.kind).toBe('model');
  });

  it('refuses empty words and passes on the engine refusal', async () => {
    expect((await words({ words: 'words' })).reply).toMatchObject({ kind: 'refusal' });
    expect((await words({ words: 'a dog' }, 'no-such-model')).reply).toMatchObject({ kind: 'refusal' });
  });

  it('says so for a model that reads prompts whole', () => {
    const t = understandingText('a dog', { model: 'sd', concepts: false, understood: [], dropped: [], unknown: [], examples: [] });
    expect(t).toContain('no word list to show');
  });
});

// /settings and the defaults it feeds into job specs, on the real settings store (SQLite in
// memory) behind a fake engine: resolution order, who may change what, and clear messages.
import { afterAll, describe, expect, it } from 'vitest';
import { getCommand, type CommandOptions } from '../../commands/index.ts';
import { commandLineOf, splitShellWords } from '../../commands/command-line.ts';
import { parseCommandLine } from '../../src/adapters/cli/args.ts';
import { SettingsStore } from '../../src/store/settings-store.ts';
import { JobStore } from '../../src/store/store.ts';
import { fakeEngine } from './fake-engine.ts';
import { refusal } from '../../src/jobs/api.ts';
import { DEFAULT_SPEC_LIMITS, parseJobSpec } from '../../src/jobs/spec.ts';

const store = new JobStore(':memory:');
const settings = new SettingsStore(store.db);
afterAll(() => store.close());

const owner = (userId: string) => ({ platform: 'test', userId, channelRef: 'C1', serverId: 'S1' });

async function run(name: string, options: CommandOptions, userId = 'u1', serverAdmin = false) {
  const base = fakeEngine();
  const engine = Object.assign(base, { settings });
  const reply = await getCommand(name)!.execute({ engine, owner: owner(userId), actor: { userId, isAdmin: false, platform: 'test', serverAdmin }, options, defaultModel: 'test-tiny' });
  return { reply, input: base.submitted.at(-1)?.input as Record<string, unknown> | undefined };
}

const text = (r: { reply: { kind: string } }) => ('text' in r.reply ? String(r.reply.text) : 'message' in r.reply ? String(r.reply.message) : '');

describe('/settings', () => {
  it('option > user > server > model default, for the fields a technique uses', async () => {
    await run('settings', { scope: 'server', cfg: 4, steps: 9, count: 2 }, 'admin', true);
    await run('settings', { steps: 5, sampler: 'ddim' }, 'u1');
    expect((await run('imagine', { prompt: 'a' }, 'u1')).input).toMatchObject({ steps: 5, sampler: 'ddim', guidance: 4, count: 2 });
    expect((await run('imagine', { prompt: 'a', steps: 7 }, 'u1')).input).toMatchObject({ steps: 7 });
    expect((await run('imagine', { prompt: 'a' }, 'u2')).input).toMatchObject({ steps: 9, guidance: 4 });
    // noise takes no sampling parameters: none are filled in.
    const noise = (await run('noise', { image: 'a'.repeat(64) }, 'u1')).input!;
    expect(Object.keys(noise).sort()).toEqual(['image', 'technique']);
    // Another server's users get none of S1's defaults.
    const engine = Object.assign(fakeEngine(), { settings });
    await getCommand('imagine')!.execute({ engine, owner: { ...owner('u9'), serverId: 'S2' }, actor: { userId: 'u9', isAdmin: false }, options: { prompt: 'a' } });
    expect(engine.submitted[0].input).toEqual({ technique: 'imagine', prompt: 'a' });
  });

  it('private: the option wins over the setting', async () => {
    await run('settings', { private: true }, 'u3');
    expect((await run('imagine', { prompt: 'a' }, 'u3')).reply).toMatchObject({ kind: 'job', private: true });
    expect((await run('imagine', { prompt: 'a', private: false }, 'u3')).reply).toMatchObject({ kind: 'job', private: false });
    expect((await run('imagine', { prompt: 'a' }, 'u4')).reply).toMatchObject({ kind: 'job', private: false });
  });

  it('refuses what a caller may not change, with a message that says why', async () => {
    expect(text(await run('settings', { scope: 'server', steps: 3 }, 'u1'))).toContain("Only the server's admins");
    expect(text(await run('settings', { banned: 'x' }, 'u1'))).toContain('add scope server or scope channel');
    expect(text(await run('settings', { scope: 'channel', steps: 3 }, 'admin', true))).toContain('A channel has only content rules');
    // Lists set in chat take words and phrases only (no pattern syntax, so no pattern can stall the bot).
    expect(text(await run('settings', { scope: 'server', banned: '/(/' }, 'admin', true))).toContain('/(/ is a pattern: lists set here take plain words and phrases only');
    expect(text(await run('settings', { scope: 'channel', banned: 'ok, /(a|a?)+$/' }, 'admin', true))).toContain("patterns belong in the bot's configuration, CONTENT_RULES_FILE");
    expect(text(await run('settings', { scope: 'server', banned: 'a+b, (x)' }, 'admin', true))).toContain('Saved.');
    expect(text(await run('settings', { steps: 0 }, 'u1'))).toBe('steps must be a whole number from 1 to 100.');
    expect(text(await run('settings', { model: 'nope' }, 'u1'))).toContain(`I don't have a model called "nope"`);
  });

  it('shows the levels and clears one setting or all', async () => {
    await run('settings', { steps: 5, cfg: 2 }, 'u5');
    expect(text(await run('settings', {}, 'u5'))).toContain('Next job: model test-tiny (configured), cfg 2 (yours), steps 5 (yours)');
    expect(text(await run('settings', { clear: 'steps' }, 'u5'))).toContain('Your defaults: cfg 2\n');
    await run('settings', { clear: 'all' }, 'u5');
    expect(settings.get('user', 'test', 'u5')).toEqual({});
  });
});

describe('/settings and the step limit (MAX_STEPS)', () => {
  /** A fake engine under MAX_STEPS=20: its model facts and its submit's spec check both say so. */
  function limitedEngine() {
    const base = fakeEngine();
    const limits = { ...DEFAULT_SPEC_LIMITS, maxSteps: 20 };
    const modelInfo = base.modelInfo.bind(base);
    return Object.assign(base, {
      settings,
      async modelInfo() {
        const r = await modelInfo();
        return r.ok ? { ok: true as const, info: { ...r.info, scheduler: { ...r.info.scheduler!, maxSteps: 20 } } } : r;
      },
      async submit(input: unknown) {
        const parsed = parseJobSpec(input, limits);
        return parsed.ok ? { ok: true as const, jobId: 'j1', position: 0, estimatedWaitMs: 0, spec: parsed.spec } : refusal('invalid_spec', parsed.message);
      },
    });
  }
  const ask = (name: string, options: CommandOptions, userId: string, serverAdmin = false) =>
    getCommand(name)!.execute({ engine: limitedEngine(), owner: owner(userId), actor: { userId, isAdmin: false, platform: 'test', serverAdmin }, options, defaultModel: 'test-tiny' });
  const said = (r: { kind: string }) => ('text' in r ? String(r.text) : 'message' in r ? String(r.message) : '');

  it('refuses steps above the limit when it is set, naming the limit', async () => {
    const r = await ask('settings', { steps: 50 }, 'm1');
    expect(r.kind).toBe('refusal');
    expect(said(r)).toBe('steps must be a whole number from 1 to 20: this bot runs at most 20 steps (its MAX_STEPS setting), so every job would be refused.');
    expect(settings.get('user', 'test', 'm1').steps).toBeUndefined();
    expect(said(await ask('settings', { scope: 'server', steps: 21 }, 'admin', true))).toContain('at most 20 steps');
    expect(said(await ask('settings', { steps: 20 }, 'm1'))).toContain('Saved.');
  });

  it('a job refused because of a saved setting says which setting and how to change it', async () => {
    // Saved before the limit was lowered (or straight into the store).
    settings.update('user', 'test', 'm2', { steps: 50 });
    const r = await ask('imagine', { prompt: 'a cat' }, 'm2');
    expect(said(r)).toBe('Steps must be at most 20. (steps 50 comes from your /settings: change it with /settings steps:…, or /settings clear:steps.)');
    // Given with the command, the value is the user's own: no hint.
    expect(said(await ask('imagine', { prompt: 'a cat', steps: 30 }, 'm2'))).toBe('Steps must be at most 20.');
    // A server default says whose it is.
    settings.update('server', 'test', 'S1', { steps: 40 });
    expect(said(await ask('imagine', { prompt: 'a cat' }, 'm3'))).toContain("steps 40 comes from this server's /settings, set by its admins");
    settings.update('server', 'test', 'S1', { steps: null });
  });
});

describe('command lines', () => {
  it('quote prompts for the shell and read them back word for word', () => {
    const line = commandLineOf({ technique: 'anagram', prompt: "-a it's", prompt2: 'x "y" $z', seed: 1, steps: 3, guidance: 2, view: 'flip' }, 'emoji');
    expect(line).toBe(`diffuse anagram --seed 1 --steps 3 --cfg 2 --view flip --model emoji -- '-a it'\\''s' 'x "y" $z'`);
    const words = splitShellWords(line);
    expect(words).toEqual(['diffuse', 'anagram', '--seed', '1', '--steps', '3', '--cfg', '2', '--view', 'flip', '--model', 'emoji', '--', "-a it's", 'x "y" $z']);
    // The CLI's own parser reads the same spec back.
    const req = parseCommandLine(words.slice(1));
    expect(req).toMatchObject({ kind: 'run', model: 'emoji', input: { technique: 'anagram', prompt: "-a it's", prompt2: 'x "y" $z', seed: 1, steps: 3, guidance: 2, view: 'flip' } });
    const grid = commandLineOf({ technique: 'imagine', prompt: 'a cat', seed: 4, count: 3 });
    expect(parseCommandLine(splitShellWords(grid).slice(1))).toMatchObject({ input: { prompt: 'a cat', seed: 4, count: 3 } });
    const ref = 'ab'.repeat(32);
    const sketch = commandLineOf({ technique: 'sketch', prompt: '', image: ref, seed: 2, noiseLevel: 5 });
    expect(splitShellWords(sketch, { DATA_DIR: '/d' })).toEqual(['diffuse', 'sketch', '--seed', '2', '--noise-level', '5', `/d/uploads/ab/${ref}`]);
  });
});

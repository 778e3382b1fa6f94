import { describe, expect, it } from 'vitest';
import { COMMANDS, getCommand, runCommand } from '../../commands/index.ts';
import type { CommandOptions, CommandReply } from '../../commands/types.ts';
import { VIEW_NAMES } from '../../src/diffusion/views/registry.ts';
import { fakeEngine, who } from './fake-engine.ts';

/** Every command, in help order. */
const COMMAND_NAMES = ['imagine', 'sketch', 'inpaint', 'anagram', 'hybrid', 'noise', 'denoise', 'queue', 'cancel', 'help', 'model', 'settings', 'info'];

const IMG = 'a'.repeat(64);
const MASK = 'b'.repeat(64);

async function run(name: string, options: CommandOptions, engine = fakeEngine()) {
  const reply = await getCommand(name)!.execute({ engine, ...who(), options });
  return { reply, engine, input: engine.submitted.at(-1)?.input };
}

describe('registry', () => {
  it('holds every command once, in help order', () => {
    expect(COMMANDS.map((c) => c.spec.name)).toEqual(COMMAND_NAMES);
    const helpChoices = getCommand('help')!.spec.options[0].choices!.map((c) => c.value);
    expect(helpChoices).toEqual(COMMAND_NAMES);
    expect(getCommand('/Imagine')?.spec.name).toBe('imagine');
    expect(getCommand('paint')).toBeUndefined();
  });

  it('fits Discord limits: names, descriptions, required options first', () => {
    for (const { spec } of COMMANDS) {
      expect(spec.name).toMatch(/^[a-z0-9_-]{1,32}$/);
      expect(spec.description.length).toBeLessThanOrEqual(100);
      expect(spec.options.length).toBeLessThanOrEqual(25);
      let seenOptional = false;
      for (const o of spec.options) {
        expect(o.name).toMatch(/^[a-z0-9_-]{1,32}$/);
        expect(o.description.length, `${spec.name}.${o.name}`).toBeLessThanOrEqual(100);
        if (!o.required) seenOptional = true;
        else expect(seenOptional, `${spec.name}.${o.name} is required after an optional one`).toBe(false);
        expect((o.choices ?? []).length).toBeLessThanOrEqual(25);
      }
    }
  });

  it('offers the view registry as anagram choices', () => {
    const view = getCommand('anagram')!.spec.options.find((o) => o.name === 'view')!;
    expect(view.choices!.map((c) => c.value)).toEqual([...VIEW_NAMES]);
  });
});

describe('technique commands map options to a job spec', () => {
  it('imagine', async () => {
    const { reply, input, engine } = await run('imagine', { prompt: ' a rocket ship ', negative: 'dark', seed: 3, steps: 20, cfg: 5 });
    expect(input).toEqual({ technique: 'imagine', prompt: 'a rocket ship', negative: 'dark', seed: 3, steps: 20, guidance: 5 });
    expect(engine.submitted[0].owner).toEqual({ platform: 'test', userId: 'u1', channelRef: 'c1' });
    expect(reply).toMatchObject({ kind: 'job', jobId: 'job1', position: 0, spec: { seed: 3, steps: 20, guidance: 5 } });
    expect((reply as { text: string }).text).toBe('Job `job1` is next; starting now.');
  });

  it('imagine leaves unset options to the engine defaults', async () => {
    const { reply, input } = await run('imagine', { prompt: 'a dog' });
    expect(input).toEqual({ technique: 'imagine', prompt: 'a dog' });
    // The model's defaults are resolved where the model runs, not in the command or at submit.
    expect((reply as { spec: object }).spec).not.toHaveProperty('steps');
    expect((reply as { spec: object }).spec).not.toHaveProperty('guidance');
  });

  it('sketch', async () => {
    const { input } = await run('sketch', { image: IMG, prompt: 'a castle', noise_level: 7, seed: 1 });
    expect(input).toEqual({ technique: 'sketch', image: IMG, prompt: 'a castle', noiseLevel: 7, seed: 1 });
  });

  it('inpaint', async () => {
    const { input } = await run('inpaint', { image: IMG, prompt: 'a hat', mask: MASK });
    expect(input).toEqual({ technique: 'inpaint', image: IMG, prompt: 'a hat', mask: MASK });
  });

  it('anagram', async () => {
    const { input, reply } = await run('anagram', { prompt_upright: 'an old man', prompt_flipped: 'a campfire', view: 'rotate180' });
    expect(input).toEqual({ technique: 'anagram', prompt: 'an old man', prompt2: 'a campfire', view: 'rotate180' });
    expect(reply).toMatchObject({ kind: 'job', spec: { prompt2: 'a campfire', view: 'rotate180' } });
  });

  it('hybrid', async () => {
    const { input, reply } = await run('hybrid', { prompt_far: 'a skull', prompt_near: 'a waterfall' });
    expect(input).toEqual({ technique: 'hybrid', prompt: 'a skull', prompt2: 'a waterfall' });
    expect(reply).toMatchObject({ kind: 'job', spec: { hybrid: { sigma: 2, kernel: 33 } } });
  });

  it('noise parses a timestep list', async () => {
    const { input, reply } = await run('noise', { image: IMG, t: '750, 250 500' });
    expect(input).toEqual({ technique: 'noise', image: IMG, t: [750, 250, 500] });
    expect(reply).toMatchObject({ kind: 'job', spec: { t: [250, 500, 750] } });
    const bad = await run('noise', { image: IMG, t: '250,abc' });
    expect(bad.reply).toEqual({ kind: 'refusal', message: '"abc" is not a timestep; give whole numbers such as 250,500,750.' });
    expect(bad.engine.submitted).toHaveLength(0);
  });

  it('denoise', async () => {
    const { input, reply } = await run('denoise', { image: IMG, t: 690, method: 'one-step' });
    expect(input).toEqual({ technique: 'denoise', image: IMG, t: [690], method: 'one-step' });
    expect(reply).toMatchObject({ kind: 'job', spec: { t: [690], method: 'one-step' } });
  });

  it('passes engine refusals through as refusal replies', async () => {
    const { reply } = await run('imagine', { prompt: 'a dog', steps: 1000 });
    expect(reply).toEqual({ kind: 'refusal', message: 'Steps must be at most 100.', code: 'invalid_spec' });
    const noImage = await run('sketch', { prompt: 'a dog' });
    expect(noImage.reply).toMatchObject({
      kind: 'refusal',
      message: '/sketch needs an image: attach one, or give job:<id> (and candidate:<n>) to start from one of your results.',
    });
  });

  it('reports a queue position with an estimate', async () => {
    const engine = fakeEngine();
    await run('imagine', { prompt: 'a' }, engine);
    await run('imagine', { prompt: 'b' }, engine);
    const { reply } = await run('imagine', { prompt: 'c' }, engine);
    expect((reply as { text: string }).text).toBe('Job `job3` is queued: 2 jobs ahead (about 40 s).');
  });

  it('says in the reply what the model understood of the prompt and which words it does not know', async () => {
    const { reply } = await run('imagine', { prompt: 'a zorblax rocket' }, fakeEngine('emoji'));
    expect(reply).toMatchObject({ kind: 'job', reading: expect.stringMatching(/^understood: 🚀 rocket.*; unknown words: zorblax$/) });
  });
});

describe('queue, cancel, help, model', () => {
  const entry = (jobId: string, userId: string, createdAt: number, status: 'queued' | 'running' = 'queued') => ({
    jobId,
    owner: { platform: 'test', userId },
    technique: 'imagine' as const,
    status,
    position: 0,
    createdAt,
    estimatedWaitMs: 30_000,
  });

  it('queue lists jobs and marks the caller’s', async () => {
    const engine = fakeEngine();
    engine.queue = [entry('aaa', 'u2', 1, 'running'), entry('bbb', 'u1', 2)];
    const { reply } = await run('queue', {}, engine);
    expect(reply.kind).toBe('queue');
    expect((reply as { text: string }).text).toBe(
      '2 jobs in the queue (1 waiting):\n1. imagine `aaa`: running\n2. imagine `bbb` (yours): waiting, about 30 s',
    );
    const empty = await run('queue', {});
    expect((empty.reply as { text: string }).text).toMatch(/empty/);
  });

  it('cancel without a job takes the caller’s latest', async () => {
    const engine = fakeEngine();
    engine.queue = [entry('old', 'u1', 1, 'running'), entry('other', 'u2', 5), entry('new', 'u1', 3)];
    const { reply } = await run('cancel', {}, engine);
    expect(engine.cancelled).toEqual([{ jobId: 'new', by: { userId: 'u1', isAdmin: false, platform: 'test' } }]);
    expect(reply).toEqual({ kind: 'text', text: 'Cancelled job `new`.', ephemeral: true });
  });

  it('cancel by id passes the engine’s refusal', async () => {
    const engine = fakeEngine();
    engine.queue = [entry('other', 'u2', 5)];
    const { reply } = await run('cancel', { job: 'other' }, engine);
    expect(reply).toMatchObject({ kind: 'refusal', code: 'forbidden' });
    const none = await run('cancel', {});
    expect(none.reply).toEqual({ kind: 'refusal', message: 'You have no job waiting or running.' });
  });

  it('help lists every command and explains one', async () => {
    const all = await run('help', {});
    expect(all.reply.kind).toBe('help');
    const text = (all.reply as { text: string }).text;
    for (const name of COMMAND_NAMES) expect(text).toContain(`/${name}`);
    expect(text).toContain('**/imagine prompt [negative] [seed] [steps] [cfg] [sampler] [count] [prior] [private]**');
    const one = await run('help', { command: 'anagram' });
    expect((one.reply as { text: string }).text).toContain('• view (optional)');
  });

  it('model describes the model folder', async () => {
    const { reply } = await run('model', {});
    expect(reply.kind).toBe('model');
    const m = (reply as Extract<CommandReply, { kind: 'model' }>).model;
    expect(m).toMatchObject({ name: 'test-tiny', family: 'pixel', width: 64, height: 64, device: 'cpu' });
    expect(m.license).toMatch(/^MIT/);
    expect(m.vocabularySize).toBeGreaterThan(10);
    expect(m.examples?.[0]).toBe('🚀 rocket');
  });

  it('model gives a generic line for an unreadable model folder and logs the detail', async () => {
    const logged: { obj: { err?: Error; model?: string }; msg: string }[] = [];
    const logger = { error: (obj: object, msg: string) => logged.push({ obj, msg }) };
    const missing = '/srv/secret-place/models';
    const reply = await getCommand('model')!.execute({ engine: fakeEngine('no-such-model'), ...who(), options: {}, modelsDir: missing, logger });
    expect(reply).toMatchObject({ kind: 'model', model: { name: 'no-such-model', description: '(model details unavailable)' } });
    expect((reply as { text: string }).text).not.toContain(missing);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: 'model details unavailable', obj: { model: 'no-such-model' } });
    expect(logged[0].obj.err).toBeInstanceOf(Error);
  });

  it('runCommand turns a thrown error into a refusal and logs it with its stack', async () => {
    const engine = fakeEngine();
    engine.listQueue = async () => {
      throw new Error('db gone');
    };
    const logged: { obj: { err?: Error; command?: string }; msg: string }[] = [];
    const logger = { error: (obj: object, msg: string) => logged.push({ obj, msg }) };
    const reply = await runCommand(getCommand('queue')!, { engine, ...who(), options: {}, logger });
    expect(reply).toEqual({ kind: 'refusal', message: 'Something went wrong running /queue; please try again.' });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: 'command failed', obj: { command: 'queue' } });
    expect(logged[0].obj.err?.message).toBe('db gone');
    expect(logged[0].obj.err?.stack).toContain('listQueue');
    // Without a logger it still answers.
    expect(await runCommand(getCommand('queue')!, { engine, ...who(), options: {} })).toMatchObject({ kind: 'refusal' });
  });
});

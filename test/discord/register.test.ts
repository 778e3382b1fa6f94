import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { main, parseDeployArgs } from '../../deploy/discord-register.ts';
import { commandDefinitions } from '../../src/adapters/discord/index.ts';
import { FakeDiscord } from './fake-discord.ts';

let fake: FakeDiscord;
beforeAll(async () => {
  fake = new FakeDiscord();
  await fake.start();
});
afterAll(() => fake.close());

describe('command definitions', () => {
  it('derive Discord option types, limits and choices from the command specs', () => {
    const all = commandDefinitions();
    expect(all.map((d) => d.name)).toEqual(['imagine', 'sketch', 'inpaint', 'anagram', 'hybrid', 'noise', 'denoise', 'queue', 'cancel', 'help', 'model', 'settings', 'info', 'Job info', 'Use as input']);
    // The last two are the message actions (type 3): /info of a result message, and how to start /sketch or /inpaint from it.
    expect(all.at(-2)).toMatchObject({ name: 'Job info', type: 3, contexts: [0] });
    expect(all.at(-1)).toMatchObject({ name: 'Use as input', type: 3, contexts: [0] });
    const defs = all.filter((d): d is RESTPostAPIChatInputApplicationCommandsJSONBody => d.type === 1);
    const imagine = defs.find((d) => d.name === 'imagine')!;
    expect(imagine.options).toEqual([
      expect.objectContaining({ name: 'prompt', type: 3, required: true, max_length: 500 }),
      expect.objectContaining({ name: 'negative', type: 3, required: false }),
      expect.objectContaining({ name: 'seed', type: 4, min_value: 0, max_value: 4294967295 }),
      expect.objectContaining({ name: 'steps', type: 4, min_value: 1, max_value: 100 }),
      expect.objectContaining({ name: 'cfg', type: 10, min_value: 0, max_value: 30 }),
      expect.objectContaining({ name: 'sampler', type: 3, required: false }),
      expect.objectContaining({ name: 'count', type: 4, min_value: 1, max_value: 4 }),
      expect.objectContaining({ name: 'prior', type: 5, required: false }),
      expect.objectContaining({ name: 'private', type: 5, required: false }),
    ]);
    const sampler = imagine.options!.find((o) => o.name === 'sampler') as { choices: { value: string }[] };
    expect(sampler.choices.map((c) => c.value)).toEqual(expect.arrayContaining(['ddpm', 'ddim', 'dpmpp-2m', 'euler-a']));
    const inpaint = defs.find((d) => d.name === 'inpaint')!;
    // The image is optional on Discord (job: can stand in for it), so the required prompt comes first.
    expect(inpaint.options!.map((o) => [o.name, o.type, o.required])).toEqual([
      ['prompt', 3, true],
      ['image', 11, false],
      ['mask', 11, false],
      ['seed', 4, false],
      ['steps', 4, false],
      ['sampler', 3, false],
      ['job', 3, false],
      ['candidate', 4, false],
      ['prior', 5, false],
      ['private', 5, false],
    ]);
    const sketch = defs.find((d) => d.name === 'sketch')!;
    expect(sketch.options!.filter((o) => o.required).map((o) => o.name)).toEqual([]);
    expect(sketch.options!.find((o) => o.name === 'candidate')).toMatchObject({ type: 4, min_value: 1, max_value: 4 });
    const view = defs.find((d) => d.name === 'anagram')!.options!.find((o) => o.name === 'view') as { choices: { value: string }[] };
    expect(view.choices.map((c) => c.value)).toContain('flip');
    expect(imagine.contexts).toEqual([0]);
    expect(commandDefinitions({ allowDms: true })[0].contexts).toEqual([0, 1]);
  });
});

describe('deploy/discord-register', () => {
  it('parses its arguments', () => {
    expect(parseDeployArgs(['--dry-run', '--guild', '123'])).toEqual({ dryRun: true, global: false, guildId: '123', help: false });
    expect(() => parseDeployArgs(['--guild', '1', '--global'])).toThrow(/not both/);
    expect(() => parseDeployArgs(['--frobnicate'])).toThrow(/unknown argument --frobnicate/);
  });

  it('--dry-run prints the JSON it would send, without a token', async () => {
    const lines: string[] = [];
    const code = await main(['--dry-run'], { DISCORD_GUILD_ID: '42' }, (l) => lines.push(l));
    expect(code).toBe(0);
    const printed = JSON.parse(lines.join('\n'));
    expect(printed.scope).toBe('guild 42');
    expect(printed.commands).toEqual(JSON.parse(JSON.stringify(commandDefinitions())));
    expect(fake.requests).toHaveLength(0);
  });

  it('PUTs the commands to the guild through the configured REST base and never prints the token', async () => {
    const lines: string[] = [];
    const env = { DISCORD_TOKEN: fake.token, DISCORD_APP_ID: fake.appId, DISCORD_GUILD_ID: fake.guildId, DISCORD_API_BASE: fake.apiBase };
    expect(await main([], env, (l) => lines.push(l))).toBe(0);
    const put = fake.requests.find((r) => r.method === 'PUT')!;
    expect(put.path).toBe(`/applications/${fake.appId}/guilds/${fake.guildId}/commands`);
    expect(put.authorization).toBe(`Bot ${fake.token}`);
    expect((put.json as unknown as unknown[]).length).toBe(15);
    expect(lines).toEqual([
      `Registered 15 commands (guild ${fake.guildId}): imagine, sketch, inpaint, anagram, hybrid, noise, denoise, queue, cancel, help, model, settings, info, Job info, Use as input`,
      `Invite the bot (its slash commands and the channel permissions it needs): https://discord.com/oauth2/authorize?client_id=${fake.appId}&scope=bot+applications.commands&permissions=101376`,
    ]);

    expect(await main(['--global'], env, (l) => lines.push(l))).toBe(0);
    expect(fake.requests.at(-1)!.path).toBe(`/applications/${fake.appId}/commands`);

    const bad: string[] = [];
    expect(await main([], { ...env, DISCORD_TOKEN: 'wrong.token.value' }, (l) => bad.push(l))).toBe(1);
    expect(bad[0]).toMatch(/^Registration failed \(HTTP 401\)/);
    expect(lines.concat(bad).join('\n')).not.toContain(fake.token);
  });
});

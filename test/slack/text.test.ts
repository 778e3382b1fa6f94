// Text handling of the Slack adapter: mrkdwn escaping, user text from Slack, secret scrubbing,
// message refs, thread image choice, slash command names and the app manifest.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.ts';
import { latestImage } from '../../src/adapters/slack/files.ts';
import { scrubSecrets } from '../../src/adapters/slack/log.ts';
import { BOT_SCOPES, buildSlackManifest } from '../../src/adapters/slack/manifest.ts';
import { formatMessageRef, jobIdOfMessage, parseMessageRef } from '../../src/adapters/slack/result-ref.ts';
import { resolveSlashCommand } from '../../src/adapters/slack/slash-commands.ts';
import { escapeMrkdwn, slackToPlain, toMrkdwn } from '../../src/adapters/slack/text.ts';
import { statusHead } from '../../src/adapters/slack/job-flow.ts';
import { ROOT } from './helpers.ts';

describe('Slack text', () => {
  it('escapes &, < and > so user text cannot mention or link', () => {
    expect(escapeMrkdwn('a <!channel> & <@U123>')).toBe('a &lt;!channel&gt; &amp; &lt;@U123&gt;');
    expect(toMrkdwn('**/imagine** x < y')).toBe('*/imagine* x &lt; y');
  });

  it('turns Slack message text into plain text', () => {
    expect(slackToPlain('<@UBOT1> sketch a <https://x.example|castle> &amp; a moat', 'UBOT1')).toBe('sketch a castle & a moat');
    expect(slackToPlain('hi <#C1|general> <@U2> <!here> &lt;3')).toBe('hi #general @U2 @here <3');
  });

  it('keeps prompts from pinging anyone in a status line', () => {
    const head = statusHead('U1', { technique: 'imagine', prompt: '<!channel> @everyone', seed: 1, steps: 2, guidance: 3 });
    expect(head.startsWith('<@U1> asked for *imagine ')).toBe(true);
    expect(head).not.toContain('<!channel>');
    expect(head).not.toMatch(/@everyone/);
  });

  it('scrubs secret values and token-shaped words', () => {
    expect(scrubSecrets('auth xoxb-123-abc and xapp-1-A-xyz and s3cretvalue', ['s3cretvalue'])).toBe('auth [redacted] and [redacted] and [redacted]');
  });

  it('round-trips message refs and finds jobs from metadata or file names', () => {
    const ref = formatMessageRef('C1', '1700000001.000100', '1700000000.000001');
    expect(parseMessageRef(ref)).toEqual({ channel: 'C1', ts: '1700000001.000100', threadRoot: '1700000000.000001' });
    expect(parseMessageRef('interaction-token')).toBeNull();
    expect(jobIdOfMessage({ ts: '1.1', metadata: { event_type: 'diffuse_job', event_payload: { job_id: 'abc123def4' } } })).toBe('abc123def4');
    expect(jobIdOfMessage({ ts: '1.1', files: [{ id: 'F1', name: 'diffuse-k3x9q2m7ab.gif' }] })).toBe('k3x9q2m7ab');
    expect(jobIdOfMessage({ ts: '1.1', files: [{ id: 'F1', name: 'holiday.png' }] })).toBeNull();
  });

  it('picks the most recent image of a thread and reports a newer non-image file', () => {
    const msgs = [
      { ts: '10.0', files: [{ id: 'A', name: 'a.png', mimetype: 'image/png' }] },
      { ts: '12.0', files: [{ id: 'C', name: 'notes.txt', mimetype: 'text/plain' }] },
      { ts: '11.0', files: [{ id: 'B1', name: 'b1.jpg', mimetype: 'image/jpeg' }, { id: 'B2', name: 'b2.webp', filetype: 'webp' }] },
      { ts: '13.0', files: [{ id: 'D', name: 'gone.png', mimetype: 'image/png', mode: 'tombstone' }] },
    ];
    const found = latestImage(msgs);
    expect(found.image?.id).toBe('B2');
    expect(found.other?.id).toBe('C');
    expect(latestImage([{ ts: '1.0', files: [{ id: 'T', name: 't.txt', mimetype: 'text/plain' }] }])).toEqual({ other: { id: 'T', name: 't.txt', mimetype: 'text/plain' } });
  });

  it('resolves slash command names, also with a workspace prefix', () => {
    expect(resolveSlashCommand('/imagine')?.spec.name).toBe('imagine');
    expect(resolveSlashCommand('/diffuse-anagram')?.spec.name).toBe('anagram');
    expect(resolveSlashCommand('/diffuse_queue')?.spec.name).toBe('queue');
    expect(resolveSlashCommand('/nope')).toBeUndefined();
  });
});

describe('Slack app manifest', () => {
  it('deploy/slack-manifest.json is the generated manifest (regenerate it when commands change)', () => {
    const committed = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'slack-manifest.json'), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildSlackManifest())));
  });

  it('declares every command, the message shortcut, the events and the scopes the adapter uses', () => {
    const m = buildSlackManifest();
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(COMMANDS.map((c) => `/${c.spec.name}`));
    expect(m.features.slash_commands).toHaveLength(13);
    for (const c of m.features.slash_commands) {
      expect(c.description.length).toBeLessThanOrEqual(100);
      expect((c.usage_hint ?? '').length).toBeLessThanOrEqual(100);
    }
    expect(m.features.shortcuts).toEqual([expect.objectContaining({ type: 'message', callback_id: 'diffuse_image' })]);
    expect(m.settings.event_subscriptions.bot_events).toEqual(['app_mention', 'reaction_added']);
    expect(m.settings.socket_mode_enabled).toBe(true);
    for (const s of ['commands', 'chat:write', 'files:write', 'files:read', 'reactions:read', 'app_mentions:read', 'channels:history', 'groups:history', 'im:history']) {
      expect(BOT_SCOPES).toContain(s);
    }
    const http = buildSlackManifest({ requestUrl: 'https://bot.example/slack/events' });
    expect(http.settings.socket_mode_enabled).toBe(false);
    expect(http.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://bot.example/slack/events' });
    expect(http.features.slash_commands.every((c) => 'url' in c && c.url === 'https://bot.example/slack/events')).toBe(true);
  });
});

import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, SETTING_NAMES, loadConfig, redactConfig } from '../../src/config.ts';
import { ROOT } from './helpers.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { Writable } from 'node:stream';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.model).toBe('emoji');
    expect(c.device).toBe('cpu');
    expect(c.queueMax).toBe(50);
    expect(c.userMaxPending).toBe(2);
    expect(c.gifMaxBytes).toBe(8 * 1024 * 1024);
    expect(c.frameSource).toBe('xt');
    expect(c.metricsHost).toBe('127.0.0.1');
    expect(c.playground).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(c.slack.mode).toBe('socket');
    expect(c.discord.allowDms).toBe(false);
    expect(c.adminUserIds).toEqual([]);
    expect(c.dataDir.endsWith('/data')).toBe(true);
  });

  it('.env.example lists every setting with its default', () => {
    const text = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const env: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) env[m[1]] = m[2];
    }
    expect(Object.keys(env).sort()).toEqual([...SETTING_NAMES].sort());
    expect(JSON.stringify(loadConfig(env))).toBe(JSON.stringify(loadConfig({})));
  });

  it('parses numbers, booleans and lists; empty values count as unset', () => {
    const c = loadConfig({
      QUEUE_MAX: '7',
      CPU_FALLBACK: 'no',
      ADMIN_USER_IDS: ' a, b ,,c',
      DISCORD_ALLOW_DMS: 'true',
      MODEL: '',
    });
    expect(c.queueMax).toBe(7);
    expect(c.cpuFallback).toBe(false);
    expect(c.adminUserIds).toEqual(['a', 'b', 'c']);
    expect(c.discord.allowDms).toBe(true);
    expect(c.model).toBe('emoji');
  });

  it('names every bad setting', () => {
    expect(() => loadConfig({ QUEUE_MAX: 'lots', DEVICE: 'tpu' })).toThrow(ConfigError);
    const bad = () => loadConfig({ QUEUE_MAX: 'lots', DEVICE: 'tpu', USER_MAX_PENDING: '0' });
    expect(bad).toThrow('QUEUE_MAX must be a number');
    expect(bad).toThrow('DEVICE must be cpu, cuda, webgpu or auto');
    expect(bad).toThrow('USER_MAX_PENDING must be at least 1');
  });

  it('never shows secrets when logged, stringified or inspected', async () => {
    const secrets = {
      DISCORD_TOKEN: 'disc-SECRET-1',
      SLACK_BOT_TOKEN: 'xoxb-SECRET-2',
      SLACK_APP_TOKEN: 'xapp-SECRET-3',
      SLACK_SIGNING_SECRET: 'SECRET-4',
      PLAYGROUND_TOKEN: 'SECRET-5',
    };
    const c = loadConfig(secrets);
    expect(c.discord.token).toBe('disc-SECRET-1');
    const shown = [
      JSON.stringify(c),
      String(c),
      inspect(c, { depth: 5 }),
      JSON.stringify(c.slack),
      inspect(c.discord),
      JSON.stringify(redactConfig(c)),
    ];
    let logged = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += String(chunk);
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.info({ config: c }, 'config');
    log.info({ config: redactConfig(c), token: 'SECRET-6' }, 'again');
    await new Promise((r) => setTimeout(r, 10));
    shown.push(logged);
    for (const s of shown) {
      expect(s).not.toMatch(/SECRET/);
    }
    expect(JSON.stringify(c)).toContain('[redacted]');
    expect(logged).toContain('[redacted]');
  });
});

// The ReDoS corpus of issue 28 as content rules: each pattern that froze the bot (nested and
// overlapping repeats) runs on the linear-time engine, gives the same answer a regular expression
// gives, and finishes on 10,000-character prompts; with all of them in CONTENT_RULES_FILE the
// bot's /healthz and /api/health keep answering while such prompts are submitted.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { ConfigError } from '../../src/config.ts';
import { ContentRules, compileRule, loadGlobalRules } from '../../src/engine/content-rules.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { startHealthServer, type HealthServer } from '../../src/engine/http-health.ts';
import { Client, playgroundConfig } from '../playground/helpers.ts';
import { testConfig } from './helpers.ts';

/** The patterns the red team got past the old validator, each of which stalled the bot. */
const REDOS_CORPUS = [
  '/((a+))+$/',
  '/(?:(a+))+$/',
  '/(a|a?)+$/',
  '/(.*a){12}$/',
  '/((\\w+\\s?))+$/',
  '/.*.*.*.*.*.*=$/',
];

/** Prompts of `n` characters that make a backtracking engine try every split (and one that matches the last rule). */
function killerPrompts(n: number): Record<string, string> {
  return {
    aBang: 'a'.repeat(n - 1) + '!',
    words: 'lorem ipsum '.repeat(Math.ceil(n / 12)).slice(0, n - 1) + '!',
    allA: 'a'.repeat(n),
    aEquals: 'a'.repeat(n - 1) + '=',
  };
}

// What each rule answers on each prompt (worked out by hand; the same as V8's own regular expressions
// give where they finish: a run of a's closed by '!' defeats every $-anchored repeat).
const EXPECTED: Record<string, Record<string, boolean>> = {
  '/((a+))+$/': { aBang: false, words: false, allA: true, aEquals: false },
  '/(?:(a+))+$/': { aBang: false, words: false, allA: true, aEquals: false },
  '/(a|a?)+$/': { aBang: true, words: true, allA: true, aEquals: true }, // a? matches empty before the end
  '/(.*a){12}$/': { aBang: false, words: false, allA: true, aEquals: false },
  '/((\\w+\\s?))+$/': { aBang: false, words: false, allA: true, aEquals: false },
  '/.*.*.*.*.*.*=$/': { aBang: false, words: false, allA: false, aEquals: true },
};

const owner = { platform: 'playground', userId: 'u1', channelRef: 'c1', serverId: 'g1' };

describe('the ReDoS corpus on the linear-time engine', () => {
  it('each pattern is accepted as a configured rule and answers right on 10,000-character prompts', () => {
    const prompts = killerPrompts(10_000);
    for (const p of REDOS_CORPUS) {
      const rules = new ContentRules([p], null);
      for (const [name, text] of Object.entries(prompts)) {
        expect(text).toHaveLength(10_000);
        const refused = rules.check({ prompt: text }, owner);
        expect({ p, name, refused: refused?.code ?? null }).toEqual({
          p,
          name,
          refused: EXPECTED[p][name] ? 'content_rule' : null,
        });
      }
    }
    // Short prompts, where V8's backtracking engine still finishes, give the same answers.
    for (const p of REDOS_CORPUS) {
      const re = new RegExp(p.slice(1, -1), 'iu');
      for (const text of Object.values(killerPrompts(12)))
        expect(compileRule(p).test(text), `${p} on ${text}`).toBe(re.test(text));
    }
  });

  it('patterns that need backtracking are refused at start with a ConfigError naming the rule and the file', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'diffuse-rules-')), 'rules.txt');
    writeFileSync(file, `# rules\nzorb\n${REDOS_CORPUS.join('\n')}\n/(a)\\1/\n`);
    expect(() => testConfig({ CONTENT_RULES_FILE: file })).toThrow(ConfigError);
    expect(() => testConfig({ CONTENT_RULES_FILE: file })).toThrow(
      new RegExp(
        `CONTENT_RULES_FILE ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: /\\(a\\)\\\\1/ refers back to a group`,
      ),
    );
    expect(() => testConfig({ CONTENT_RULES: 'ok, /(?<!x)y/' })).toThrow(
      /CONTENT_RULES: \/\(\?<!x\)y\/ uses a look-ahead or look-behind/,
    );
    writeFileSync(file, REDOS_CORPUS.join('\n'));
    expect(loadGlobalRules(testConfig({ CONTENT_RULES_FILE: file }))).toEqual(REDOS_CORPUS);
  });
});

// Polls in its own thread, so a stalled main thread delays the answers it measures, never the
// requests it sends; one request at a time, alternating /healthz and /api/health.
const POLLER = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const answers = [];
let stop = false;
parentPort.on('message', () => { stop = true; });
function once(url) {
  return new Promise((resolve) => {
    const t = performance.now();
    http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ url, status: res.statusCode, ms: performance.now() - t }));
    }).on('error', (err) => resolve({ url, status: 0, ms: performance.now() - t, error: String(err) }));
  });
}
(async () => {
  parentPort.postMessage({ type: 'ready' });
  for (let k = 0; !stop; k++) {
    answers.push(await once(workerData.urls[k % workerData.urls.length]));
    await new Promise((r) => setTimeout(r, 5));
  }
  agent.destroy();
  parentPort.postMessage({ type: 'done', answers });
})();
`;

/** One poll of the poller thread. */
interface PollAnswer {
  url: string;
  status: number;
  ms: number;
  error?: string;
}

/** Starts the poller thread on `urls`; stop() ends it and returns every answer it got. */
async function startPoller(urls: string[]): Promise<{ stop(): Promise<PollAnswer[]> }> {
  const worker = new Worker(POLLER, { eval: true, workerData: { urls } });
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  return {
    stop: () =>
      new Promise<PollAnswer[]>((resolve, reject) => {
        worker.on('message', (m: { type: string; answers: PollAnswer[] }) => {
          if (m.type !== 'done') return;
          void worker.terminate();
          resolve(m.answers);
        });
        worker.once('error', reject);
        worker.postMessage('stop');
      }),
  };
}

describe('the bot answers /healthz while the corpus runs', () => {
  let engine: LocalEngine | null = null;
  let pg: Playground | null = null;
  let hs: HealthServer | null = null;
  afterEach(async () => {
    await hs?.close();
    await pg?.stop();
    await engine?.close();
  });

  it('every poll is answered while prompts at the length limit are submitted and 10,000-character prompts are checked', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'diffuse-rules-')), 'rules.txt');
    writeFileSync(file, REDOS_CORPUS.join('\n'));
    const config = playgroundConfig({ CONTENT_RULES_FILE: file, USER_MAX_PENDING: '100', QUEUE_MAX: '1000' });
    engine = createEngine(config, { defaultMetrics: false });
    await engine.start();
    pg = await startPlayground(config, engine);
    hs = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      health: () => engine!.health(),
      registry: engine.metrics.registry,
    });
    // The same rules the engine holds, for prompts longer than a job may carry (500 characters).
    const rules = new ContentRules(loadGlobalRules(config), null);

    const poller = await startPoller([`${hs.url}/healthz`, new URL('/api/health', pg.url).href]);
    const statuses: number[] = [];
    const long = killerPrompts(10_000);
    for (const [name, prompt] of Object.entries(killerPrompts(500))) {
      // Two prompts a job: prompt and negative of /imagine, far and near of /hybrid.
      for (const body of [
        { command: 'imagine', options: { prompt, negative: prompt, steps: 1 } },
        { command: 'hybrid', options: { prompt_far: prompt, prompt_near: prompt, steps: 1 } },
      ]) {
        const res = await new Client(pg.url).postJson('/api/jobs', body);
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(rules.check({ prompt: long[name] }, owner)?.code).toBe('content_rule');
      await new Promise((r) => setTimeout(r, 20));
    }
    const answers = await poller.stop();
    // (a|a?)+$ matches every prompt: each submission is refused by the rules, not by a limit.
    expect(statuses).toEqual(Array(8).fill(403));
    expect(answers.length).toBeGreaterThan(4);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(new Set(answers.map((a) => a.url)).size).toBe(2);
  });
});

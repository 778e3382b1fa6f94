// The whole follow-up chain on Slack (Bolt in HTTP mode against the local fake, real engine on the
// tiny model): the /imagine slash command with 4 candidates → U2 (block_actions on its status
// message) → Vary (subtle) on that result → Zoom out 2x on that one → /info on the last job: each
// job names its parent, the lineage lists the chain, and the `diffuse ...` line is the last job's.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resultPathWord } from '../../commands/command-line.ts';
import { FakeSlack, type FakeMessage } from './fake-slack.ts';
import {
  BOT_TOKEN,
  buttonPressForm,
  postSigned,
  slashCommandForm,
  startHarness,
  type Harness,
} from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';
const C = 'C0000017';
const USER = 'UUSER051';
const fake = new FakeSlack({ botToken: BOT_TOKEN });
let h: Harness;

beforeAll(async () => {
  await fake.start();
  h = await startHarness(fake, { SLACK_MODE: 'http' }, { statusIntervalMs: 50 });
});
afterAll(async () => {
  await h?.close();
  await fake.stop();
});

const jobOf = (m: FakeMessage) => m.metadata?.event_payload.job_id as string | undefined;
const uploads = () => fake.callsOf('files.completeUploadExternal').length;

/** A finished result: its job id, status message, the caption of its upload and its buttons (label → action id). */
interface Result {
  jobId: string;
  status: FakeMessage;
  caption: string;
  buttons: Map<string, string>;
}

/** Waits for the next result (upload number `n`) of a job not in `known`, and its status with buttons. */
async function nextResult(n: number, known: Set<string>, what: string): Promise<Result> {
  await fake.waitFor(() => uploads() === n, 60_000, what);
  const status = fake.messagesOf(C).find((m) => jobOf(m) && !known.has(jobOf(m)!))!;
  const jobId = jobOf(status)!;
  known.add(jobId);
  const update = await fake.waitFor(
    () => fake.callsOf('chat.update').find((c) => c.args.ts === status.ts && c.args.blocks),
    10_000,
    `${what} buttons`,
  );
  const raw = update.args.blocks;
  const blocks = (typeof raw === 'string' ? JSON.parse(raw) : raw) as {
    type: string;
    elements?: { action_id: string; text: { text: string } }[];
  }[];
  const buttons = new Map(
    blocks
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements!.map((e) => [e.text.text, e.action_id] as const)),
  );
  return {
    jobId,
    status,
    caption: String(fake.callsOf('files.completeUploadExternal')[n - 1].args.initial_comment),
    buttons,
  };
}

/** Presses the button labelled `label` on a result's status message (block_actions, as Slack posts it). */
async function press(r: Result, label: string): Promise<void> {
  const actionId = r.buttons.get(label);
  expect(actionId, `button ${label} of ${r.jobId}`).toBeDefined();
  const res = await postSigned(
    h.eventsUrl,
    buttonPressForm({
      teamId: fake.teamId,
      user: USER,
      channel: C,
      ts: r.status.ts,
      text: r.status.text,
      actionId: actionId ?? '',
      triggerId: 'trig.chain',
    }),
    FORM,
  );
  expect(res.status).toBe(200);
}

/** Four jobs one after another: room beyond the 60 s default on a loaded 2-core machine. */
const CHAIN_TIMEOUT_MS = 180_000;

it(
  "/imagine (4) → U2 → V (subtle) → zoom out 2x → /info names the chain and the last job's command line",
  async () => {
    const known = new Set<string>();
    const slash = await postSigned(
      h.eventsUrl,
      slashCommandForm(fake, {
        command: '/imagine',
        text: 'a lighthouse --seed 5 --steps 3 --count 4',
        channel: C,
        user: USER,
      }),
      FORM,
    );
    expect(slash.status).toBe(200);
    const grid = await nextResult(1, known, 'the grid');
    expect(grid.caption).toContain('4 candidates, seeds 5, 6, 7, 8');

    await press(grid, 'U2');
    const u2 = await nextResult(2, known, 'the U2 result');
    expect(u2.caption).toContain(`U2 of job \`${grid.jobId}\``);
    await press(u2, 'Vary (subtle)');
    const vary = await nextResult(3, known, 'the variation');
    expect(vary.caption).toContain(`V1 subtle of job \`${u2.jobId}\``);
    await press(vary, 'Zoom out 2x');
    const zoom = await nextResult(4, known, 'the zoom out');
    expect(zoom.caption).toContain(`zoom out 2x of job \`${vary.jobId}\``);
    const last = await h.engine.get(zoom.jobId);
    expect(last?.spec).toMatchObject({
      technique: 'inpaint',
      prompt: 'a lighthouse',
      from: { jobId: vary.jobId, action: 'zoom out 2x' },
    });

    const responseId = 'rinfo1';
    const res = await postSigned(
      h.eventsUrl,
      slashCommandForm(fake, { command: '/info', text: zoom.jobId, channel: C, user: USER, responseId }),
      FORM,
    );
    expect(res.status).toBe(200);
    const reply = await fake.waitFor(
      () => fake.responses.find((x) => x.id === responseId),
      20_000,
      '/info reply',
    );
    const info = String(reply.body.text);
    expect(info).toContain(`Job \`${zoom.jobId}\`: inpaint, done`);
    expect(info).toContain(
      `Lineage: zoom out 2x of \`${vary.jobId}\` ← V1 subtle of \`${u2.jobId}\` ← U2 of \`${grid.jobId}\``,
    );
    const line = /```\n(diffuse .+)\n```/.exec(info)?.[1];
    expect(line, info).toMatch(/^diffuse inpaint /);
    expect(line).toContain(`--seed ${last!.spec.seed} `);
    expect(line).toContain(' --follow-up zo2 ');
    expect(line).not.toContain('--mask');
    expect(line!.endsWith(` ${resultPathWord(vary.jobId)} 'a lighthouse'`)).toBe(true);
  },
  CHAIN_TIMEOUT_MS,
);

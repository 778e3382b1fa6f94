// Follow-up buttons on Slack (Block Kit): under a finished job's status message, one actions
// block per row (U n, V n, 🔁, zoom out, pan); each button's action_id is the stateless
// "act:<jobId>:<action>:<n>", resolved through the engine's store when pressed (app.action), so
// buttons of old messages keep working after a restart. The new job answers in the same thread.
import type { App } from '@slack/bolt';
import { getCommand } from '../../../commands/index.ts';
import { actionLabel, followUp } from '../../engine/follow-ups.ts';
import { parseActionId } from '../presentation/follow-up-buttons.ts';
import type { SlackContext } from './context.ts';
import { startJobFlow } from './job-flow.ts';
import { runSlackCommand } from './run-command.ts';
import { errorText } from './log.ts';
import { escapeMrkdwn } from './text.ts';

interface BlockActionBody {
  user: { id: string };
  channel?: { id: string };
  message?: { ts: string; thread_ts?: string };
  actions: { action_id: string }[];
}

/** Registers the handler of every follow-up button ("act:..." action ids) and of the Info button ("info:<jobId>"). */
export function registerActions(app: App, ctx: SlackContext): void {
  app.action(/^info:[a-z0-9]{1,64}$/, async ({ ack, body }) => {
    await ack();
    const b = body as unknown as BlockActionBody;
    const channel = b.channel?.id;
    if (!channel) return;
    const user = b.user.id;
    const threadTs = b.message?.thread_ts ?? b.message?.ts;
    const jobId = (b.actions[0]?.action_id ?? '').slice('info:'.length);
    await runSlackCommand(ctx, getCommand('info')!, { job: jobId }, user, { channel, ...(threadTs ? { threadTs } : {}) }, (text) =>
      ctx.client.chat
        .postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) })
        .then(() => undefined)
        .catch((err: unknown) => ctx.log.warn({ err: errorText(err, ctx.secrets) }, 'ephemeral reply failed')),
    );
  });
  app.action(/^act:/, async ({ ack, body }) => {
    await ack();
    const b = body as unknown as BlockActionBody;
    const act = parseActionId(b.actions[0]?.action_id ?? '');
    const channel = b.channel?.id;
    if (!act || !channel) return;
    const user = b.user.id;
    const threadTs = b.message?.thread_ts ?? b.message?.ts;
    const tell = (text: string) =>
      ctx.client.chat
        .postEphemeral({ channel, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) })
        .catch((err: unknown) =>
          ctx.log.warn({ err: errorText(err, ctx.secrets) }, 'ephemeral reply failed'),
        );
    try {
      const owner = {
        platform: 'slack',
        userId: user,
        channelRef: channel,
        ...(ctx.teamId ? { serverId: ctx.teamId } : {}),
      };
      const res = await followUp(ctx.engine, act.jobId, act.action, act.n, owner);
      if (!res.ok) return void (await tell(`:warning: ${escapeMrkdwn(res.message)}`));
      const note = `${actionLabel(act.action, act.n)} of job ${act.jobId}`;
      const started = await startJobFlow(
        ctx,
        res,
        { channel, ...(threadTs ? { threadTs } : {}) },
        user,
        note,
      );
      if (!started.ok) await tell(`:warning: I could not post here (${escapeMrkdwn(started.error)}).`);
    } catch (err) {
      ctx.log.error({ action: act.action, err: errorText(err, ctx.secrets) }, 'follow-up failed');
      await tell(':warning: Something went wrong; please try again.');
    }
  });
}

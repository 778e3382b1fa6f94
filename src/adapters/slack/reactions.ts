// Reactions on results: :repeat: runs the same spec with a new seed (answering in the result's
// thread); :x: deletes the result (the requester or an admin). The job is found from the
// message itself (metadata or result file names), so this works after a restart.
import type { App } from '@slack/bolt';
import type { SlackContext } from './context.ts';
import { errorText } from './log.ts';
import { findJobMessage, isOwnMessage, jobIdOfMessage, parseMessageRef, type FoundJobMessage } from './result-ref.ts';
import { startJobFlow } from './job-flow.ts';
import { escapeMrkdwn, mention } from './text.ts';

/** Reaction names (skin tone stripped) that regenerate. */
export const REPEAT_REACTIONS = new Set(['repeat']);
/** Reaction names that delete. */
export const DELETE_REACTIONS = new Set(['x']);

interface ReactionEvent {
  user: string;
  reaction: string;
  item: { type: string; channel?: string; ts?: string };
  item_user?: string;
}

/** Registers the reaction_added handler. `seen` drops redelivered events. */
export function registerReactions(app: App, ctx: SlackContext, seen: (eventId: string | undefined) => boolean): void {
  app.event('reaction_added', async ({ event, body }) => {
    const e = event as unknown as ReactionEvent;
    const name = e.reaction.split('::')[0];
    const repeat = REPEAT_REACTIONS.has(name);
    if (!repeat && !DELETE_REACTIONS.has(name)) return;
    if (e.item.type !== 'message' || !e.item.channel || !e.item.ts || e.user === ctx.botUserId) return;
    if (e.item_user && e.item_user !== ctx.botUserId) return;
    if (seen((body as { event_id?: string }).event_id)) return;
    const channel = e.item.channel;
    try {
      const found = await findJobMessage(ctx, channel, e.item.ts);
      if (!found) return;
      if (repeat) await regenerate(ctx, found, channel, e.user);
      else await deleteResult(ctx, found, channel, e.user);
    } catch (err) {
      ctx.log.error({ reaction: name, err: errorText(err, ctx.secrets) }, 'reaction failed');
    }
  });
}

async function tell(ctx: SlackContext, channel: string, user: string, threadTs: string, text: string): Promise<void> {
  await ctx.client.chat.postEphemeral({ channel, user, thread_ts: threadTs, text }).catch((err: unknown) => {
    ctx.log.warn({ err: errorText(err, ctx.secrets) }, 'ephemeral reply failed');
  });
}

async function regenerate(ctx: SlackContext, found: FoundJobMessage, channel: string, user: string): Promise<void> {
  const res = await ctx.engine.regenerate(found.jobId, { platform: 'slack', userId: user, channelRef: channel, ...(ctx.teamId ? { serverId: ctx.teamId } : {}) });
  if (!res.ok) {
    await tell(ctx, channel, user, found.threadRoot, `:warning: ${escapeMrkdwn(res.message)}`);
    return;
  }
  const started = await startJobFlow(ctx, res, { channel, threadTs: found.threadRoot }, user, `again with a new seed, from job ${found.jobId}`);
  if (!started.ok) await tell(ctx, channel, user, found.threadRoot, `:warning: I could not post here (${escapeMrkdwn(started.error)}).`);
}

async function deleteResult(ctx: SlackContext, found: FoundJobMessage, channel: string, user: string): Promise<void> {
  const job = await ctx.engine.get(found.jobId);
  if (!job) return;
  const isOwner = job.owner.platform === 'slack' && job.owner.userId === user;
  if (!isOwner && !ctx.isAdmin(user)) {
    await tell(ctx, channel, user, found.threadRoot, `Only ${mention(job.owner.userId)} (who asked for it) or an admin can delete job \`${found.jobId}\`.`);
    return;
  }
  if (job.status === 'queued' || job.status === 'running') {
    await ctx.engine.cancel(found.jobId, { userId: user, isAdmin: ctx.isAdmin(user), platform: 'slack' });
  }
  const ref = parseMessageRef(job.owner.messageRef);
  const mine = found.thread.filter((m) => isOwnMessage(ctx, m) && jobIdOfMessage(m) === found.jobId);
  for (const m of mine) {
    for (const f of m.files ?? []) {
      if (/^diffuse-[a-z0-9]+\.(png|gif)$/.test(f.name ?? '')) {
        await ctx.client.files.delete({ file: f.id }).catch((err: unknown) => ctx.log.warn({ err: errorText(err, ctx.secrets) }, 'files.delete failed'));
      }
    }
  }
  const toDelete = new Set(mine.map((m) => m.ts));
  if (ref && ref.channel === channel) toDelete.add(ref.ts);
  for (const ts of toDelete) {
    await ctx.client.chat.delete({ channel, ts }).catch((err: unknown) => ctx.log.debug({ err: errorText(err, ctx.secrets) }, 'chat.delete failed'));
  }
  ctx.log.info({ jobId: found.jobId, by: user }, 'result deleted');
}

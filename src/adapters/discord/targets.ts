// Where a job's messages go: the interaction's reply (edited in place) while its token lives,
// else a message in the channel (sent once, then edited). Jobs that outlive the 15-minute
// interaction token move to the channel.
import type { Message, RepliableInteraction, SendableChannels } from 'discord.js';
import type { Payload } from './messages.ts';
import { isExpiredToken } from './safe-log.ts';

/** A message's place. */
export interface MessageLocation {
  channelId: string;
  messageId: string;
}

/** Shows payloads: the first call creates (or takes over) the message, later calls edit it. */
export interface ReplyTarget {
  show(p: Payload): Promise<MessageLocation>;
}

function locate(m: unknown): MessageLocation {
  const o = m as { id: string; channelId?: string; channel_id?: string };
  return { messageId: o.id, channelId: o.channelId ?? o.channel_id ?? '' };
}

/** Posts a new message in a channel (optionally as a reply), then edits it. */
export class ChannelTarget implements ReplyTarget {
  private message: Message | null = null;

  constructor(
    private readonly channel: () => Promise<SendableChannels | null>,
    private readonly replyTo?: string,
  ) {}

  async show(p: Payload): Promise<MessageLocation> {
    if (this.message) {
      this.message = await this.message.edit(p);
      return locate(this.message);
    }
    const ch = await this.channel();
    if (!ch) throw new Error('channel unavailable');
    const { attachments: _drop, ...create } = p;
    this.message = await ch.send({
      ...create,
      ...(this.replyTo ? { reply: { messageReference: this.replyTo, failIfNotExists: false } } : {}),
    });
    return locate(this.message);
  }
}

/** Edits an interaction's (deferred) reply while its token is young; then, or when Discord says it expired, uses the channel. */
export class InteractionTarget implements ReplyTarget {
  private fallback: ReplyTarget | null = null;

  constructor(
    private readonly interaction: RepliableInteraction,
    /** How long the token may be used (Discord: 15 min; less a margin). */
    private readonly lifetimeMs: number,
    private readonly channelFallback: () => ReplyTarget,
  ) {}

  /** Whether payloads now go to the channel instead of the interaction. */
  get movedToChannel(): boolean {
    return this.fallback !== null;
  }

  async show(p: Payload): Promise<MessageLocation> {
    if (!this.fallback && Date.now() - this.interaction.createdTimestamp < this.lifetimeMs) {
      try {
        return locate(await this.interaction.editReply(p));
      } catch (err) {
        if (!isExpiredToken(err)) throw err;
      }
    }
    this.fallback ??= this.channelFallback();
    return this.fallback.show(p);
  }
}

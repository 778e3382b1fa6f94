// The Discord adapter: slash commands and buttons (interactions; the buttons in buttons.ts), 🔁
// reactions, and results of jobs recovered after a restart. Every interaction is acknowledged
// first (deferred), then the work happens; replies are edited as the job moves; nothing echoes a
// mention that pings.
import {
  ApplicationCommandOptionType,
  Events,
  MessageFlags,
  type MessageContextMenuCommandInteraction,
  type ChatInputCommandInteraction,
  type Client,
  type Interaction,
  type MessageReaction,
  type PartialMessageReaction,
  type PartialUser,
  type RepliableInteraction,
  type SendableChannels,
  type User,
} from 'discord.js';
import { COMMANDS, getCommand, runCommand } from '../../../commands/index.ts';
import type { Command, CommandOptions } from '../../../commands/types.ts';
import type { Config } from '../../config.ts';
import type { Engine, JobEvent, JobOwner, JobSpec, SubmitResult } from '../../jobs/api.ts';
import { createLogger, type Logger } from '../../jobs/logger.ts';
import { checkAccess, inAllowedChannel, type AccessPolicy, type Caller } from './access.ts';
import { AttachmentError, checkAttachment, DEFAULT_ATTACHMENT_POLICY, downloadAttachment, type AttachmentPolicy } from './attachments.ts';
import { JOB_INFO_ACTION, USE_AS_INPUT_ACTION } from './builders.ts';
import { onButton, type ButtonHost } from './buttons.ts';
import { actorOf, answer, callerOf, ownerOf } from './interactions.ts';
import { jobInfo, jobInfoText } from './job-info.ts';
import { useAsInputText } from './use-as-input.ts';
import { commandIsPrivate, deferFlags } from './privacy.ts';
import { createDiscordClient } from './client.ts';
import { JobView } from './job-view.ts';
import { jobIdOfMessage, textPayload } from './messages.ts';
import { safeError } from './safe-log.ts';
import { ChannelTarget, InteractionTarget, type MessageLocation, type ReplyTarget } from './targets.ts';

/** The emoji that regenerates a result. */
export const REGENERATE_EMOJI = '🔁';

export interface DiscordAdapterOptions {
  logger?: Logger;
  /** Commands served (default: every command of commands/). */
  commands?: readonly Command[];
  /** Attachment limits (maxBytes defaults to UPLOAD_MAX_BYTES); `extraHosts` lets tests serve attachments from a local fake. */
  attachments?: Partial<AttachmentPolicy>;
  /** Least time between two edits of a job's message (default 1500 ms). */
  minEditIntervalMs?: number;
  /** How long an interaction token is used before results go to the channel (default 14 min: Discord's 15 less a margin). */
  tokenLifetimeMs?: number;
  /** Largest upload of a result (default 10 MiB). */
  maxUploadBytes?: number;
  /** Models folder for /model (default config.modelsDir). */
  modelsDir?: string;
  /** How long one login may take (REST check of the token, then the gateway session) before it counts as failed (default 60 s). */
  loginTimeoutMs?: number;
}

/** Discord: slash commands, buttons, 🔁 reactions, progress edits and result uploads for one engine. */
export class DiscordAdapter {
  /** The discord.js client; a failed login destroys it, so start() then makes a fresh one. */
  client: Client;
  private readonly log: Logger;
  private readonly policy: AccessPolicy;
  private readonly attachmentPolicy: AttachmentPolicy;
  private readonly views = new Map<string, JobView>();
  private readonly commands: readonly Command[];
  private offAll: (() => void) | null = null;
  private startedAt = Date.now();
  private stopped = false;
  private loginFailed = false;
  private markReady: () => void = () => {};
  private readonly readyOnce = new Promise<void>((resolve) => (this.markReady = resolve));
  /** What the result buttons (buttons.ts) use of this adapter. */
  private readonly buttonHost: ButtonHost;

  constructor(
    private readonly engine: Engine,
    private readonly config: Config,
    private readonly options: DiscordAdapterOptions = {},
  ) {
    this.log = (options.logger ?? createLogger(config.logLevel)).child({ adapter: 'discord' });
    this.commands = options.commands ?? COMMANDS;
    this.policy = {
      allowedChannels: config.discord.allowedChannels,
      allowedRoles: config.discord.allowedRoles,
      allowDms: config.discord.allowDms,
      adminUserIds: config.adminUserIds,
    };
    this.attachmentPolicy = { ...DEFAULT_ATTACHMENT_POLICY, maxBytes: config.uploadMaxBytes, ...options.attachments };
    this.buttonHost = {
      engine,
      policy: this.policy,
      startOrRefuse: (res, target, note) => this.startOrRefuse(res, target, note),
      interactionTarget: (i, privateJob) => this.interactionTarget(i, privateJob),
      infoText: (i, jobId) =>
        jobInfo({ engine, owner: ownerOf(i), actor: actorOf(this.policy, i), defaultModel: config.model, logger: this.log }, jobId),
    };
    this.client = this.newClient();
  }

  private newClient(): Client {
    const client = createDiscordClient({ apiBase: this.config.discord.apiBase, allowDms: this.config.discord.allowDms });
    client.on(Events.InteractionCreate, (i) => void this.onInteraction(i));
    client.on(Events.MessageReactionAdd, (r, u) => void this.onReaction(r, u));
    client.on(Events.Error, (err) => this.log.error({ err: safeError(err) }, 'discord client error'));
    client.on(Events.ShardError, (err) => this.log.warn({ err: safeError(err) }, 'discord gateway error'));
    client.once(Events.ClientReady, (c) => {
      this.log.info({ user: c.user.id, guilds: c.guilds.cache.size }, 'discord ready');
      this.markReady();
    });
    return client;
  }

  /**
   * Starts reporting recovered jobs (at once, on the first call) and logs in (the token comes from
   * config, never logged). Rejects when the login fails or takes longer than loginTimeoutMs; call
   * it again to retry with a fresh client.
   */
  async start(): Promise<void> {
    const token = this.config.discord.token;
    if (!token) throw new Error('DISCORD_TOKEN is not set');
    if (this.stopped) throw new Error('the Discord adapter was stopped');
    if (!this.offAll) {
      this.startedAt = Date.now();
      this.offAll = this.engine.subscribeAll((e) => this.onAnyJobEvent(e));
    }
    if (this.loginFailed) {
      this.client = this.newClient();
      this.loginFailed = false;
    }
    const client = this.client;
    const limitMs = this.options.loginTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no gateway session within ${Math.round(limitMs / 1000)} s`)), limitMs);
    });
    try {
      await Promise.race([client.login(token), timeout]);
    } catch (err) {
      this.loginFailed = true;
      await client.destroy().catch(() => {});
      const code = (err as { code?: unknown }).code;
      // Network errors (ECONNREFUSED, ENOTFOUND, ...) say what failed, not that it was Discord.
      if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) throw new Error(`cannot reach Discord (${(err as Error).message})`, { cause: err });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The bot's user name on Discord once logged in ("diffuse#1234" or "diffuse"), else null. */
  get userTag(): string | null {
    return this.client.user?.tag ?? null;
  }

  /** Resolves once a gateway session has been ready (after a failed login, once a retry succeeds). */
  ready(): Promise<void> {
    return this.readyOnce;
  }

  /** Disconnects; running views stop editing (their jobs keep running in the engine). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.offAll?.();
    for (const v of this.views.values()) v.stop();
    this.views.clear();
    await this.client.destroy();
  }

  /** Resolves when every job view shown now has shown its final message. */
  async idle(): Promise<void> {
    while (this.views.size > 0) await Promise.all([...this.views.values()].map((v) => v.finished));
  }

  // ---- interactions ----------------------------------------------------------------------

  private async onInteraction(i: Interaction): Promise<void> {
    try {
      if (i.isChatInputCommand()) await this.onCommand(i);
      else if (i.isMessageContextMenuCommand()) await this.onMessageAction(i);
      else if (i.isButton()) await onButton(this.buttonHost, i);
    } catch (err) {
      this.log.error({ err: safeError(err), interaction: i.id }, 'discord interaction failed');
      if (i.isRepliable()) await answer(i, '⚠️ Something went wrong; please try again.').catch(() => {});
    }
  }

  private async onCommand(i: ChatInputCommandInteraction): Promise<void> {
    const command = this.commands.find((c) => c.spec.name === i.commandName) ?? getCommand(i.commandName);
    if (!command) return answer(i, `I don't know /${i.commandName}; try /help.`);
    const access = checkAccess(this.policy, callerOf(i));
    if (!access.ok) return answer(i, access.message);

    // Acknowledge first: Discord allows 3 s; everything after may take longer. A private job's reply is ephemeral throughout.
    const privateJob = !!command.spec.technique && commandIsPrivate(this.engine, ownerOf(i), i);
    await i.deferReply(deferFlags(!command.spec.technique || privateJob));

    const options: CommandOptions = {};
    const images = i.options.data.filter((o) => o.type === ApplicationCommandOptionType.Attachment);
    if (images.length > 0) {
      // Queue and per-user limits first: a refused request downloads and decodes nothing.
      const refused = this.engine.checkAdmission(ownerOf(i));
      if (refused) return answer(i, `⚠️ ${refused.message}`);
    }
    try {
      for (const o of images) if (o.attachment) checkAttachment(o.attachment, this.attachmentPolicy, o.name);
    } catch (err) {
      if (err instanceof AttachmentError) return answer(i, `⚠️ ${err.message}`);
      throw err;
    }
    for (const o of i.options.data) {
      if (o.type === ApplicationCommandOptionType.Attachment) {
        if (!o.attachment) continue;
        let bytes: Uint8Array;
        try {
          bytes = await downloadAttachment(o.attachment, this.attachmentPolicy, fetch, o.name);
        } catch (err) {
          if (err instanceof AttachmentError) return answer(i, `⚠️ ${err.message}`);
          throw err;
        }
        const stored = await this.engine.storeUpload(bytes, ownerOf(i)); // its reference is this user's
        if (!stored.ok) return answer(i, `⚠️ ${stored.message}`);
        options[o.name] = stored.ref;
      } else if (o.value !== undefined && o.value !== null) {
        options[o.name] = o.value;
      }
    }

    const reply = await runCommand(command, {
      engine: this.engine,
      owner: ownerOf(i),
      actor: actorOf(this.policy, i),
      options,
      modelsDir: this.options.modelsDir ?? this.config.modelsDir,
      defaultModel: this.config.model,
      logger: this.log,
    });
    switch (reply.kind) {
      case 'job':
        this.follow(reply.jobId, reply.spec, this.interactionTarget(i, privateJob), { position: reply.position, estimatedWaitMs: reply.estimatedWaitMs }, undefined, reply.reading);
        return;
      case 'refusal':
        return answer(i, `⚠️ ${reply.message}`);
      default:
        return answer(i, reply.text);
    }
  }

  /** The message actions, to the caller only: Job info (/info of the job a result message of this bot shows) and Use as input (how to start /sketch or /inpaint from it). */
  private async onMessageAction(i: MessageContextMenuCommandInteraction): Promise<void> {
    if (i.commandName !== JOB_INFO_ACTION && i.commandName !== USE_AS_INPUT_ACTION)
      return answer(i, `I don't know the action ${i.commandName}.`);
    const access = checkAccess(this.policy, callerOf(i));
    if (!access.ok) return answer(i, access.message);
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const ctx = { engine: this.engine, owner: ownerOf(i), actor: actorOf(this.policy, i), defaultModel: this.config.model, logger: this.log };
    if (i.commandName === USE_AS_INPUT_ACTION) return answer(i, await useAsInputText(i, ctx, this.client.user?.id));
    return answer(i, await jobInfoText(i, ctx, this.client.user?.id));
  }

  // ---- reactions -------------------------------------------------------------------------

  private async onReaction(reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser): Promise<void> {
    try {
      if (this.stopped || user.id === this.client.user?.id || user.bot) return;
      if (reaction.emoji.name !== REGENERATE_EMOJI) return;
      // Partials: the message may predate this process (or the cache); fetch it.
      const message = reaction.message.partial ? await reaction.message.fetch() : reaction.message;
      if (message.author?.id !== this.client.user?.id) return;
      const jobId = jobIdOfMessage({ content: message.content, components: message.components.map((c) => c.toJSON()) });
      if (!jobId) return;
      // Without the GuildMembers intent the member cache may lack the user: fetch (cached when present).
      const member = message.guild ? await message.guild.members.fetch(user.id).catch(() => null) : null;
      const channel = message.channel;
      const caller: Caller = {
        userId: user.id,
        guildId: message.guildId ?? null,
        channelId: message.channelId,
        parentChannelId: channel.isThread() ? channel.parentId : null,
        roleIds: member ? [...member.roles.cache.keys()] : [],
      };
      const access = checkAccess(this.policy, caller);
      if (!access.ok && !inAllowedChannel(this.policy, caller)) {
        // A reaction is no request to the bot: no public answer in a channel it is not enabled in.
        this.log.debug({ channelId: caller.channelId, userId: user.id }, 'discord reaction ignored: channel not allowed');
        return;
      }
      const target = new ChannelTarget(async () => (channel.isSendable() ? channel : null), message.id);
      if (!access.ok) return void (await target.show(textPayload(`⚠️ ${access.message}`)));
      const owner: JobOwner = { platform: 'discord', userId: user.id, channelRef: message.channelId, ...(message.guildId ? { serverId: message.guildId } : {}) };
      const res = await this.engine.regenerate(jobId, owner);
      await this.startOrRefuse(res, target, `🔁 new seed of job \`${jobId}\`, for <@${user.id}>`);
    } catch (err) {
      this.log.warn({ err: safeError(err) }, 'discord reaction failed');
    }
  }

  // ---- jobs ------------------------------------------------------------------------------

  private async startOrRefuse(res: SubmitResult, target: ReplyTarget, note: string): Promise<void> {
    if (!res.ok) {
      await target.show(textPayload(`⚠️ ${res.message}`));
      return;
    }
    this.follow(res.jobId, res.spec, target, { position: res.position, estimatedWaitMs: res.estimatedWaitMs }, note);
  }

  /** The interaction's reply; once its token expires, the channel (a private job: a direct message to the user). */
  private interactionTarget(i: RepliableInteraction, privateJob = false): InteractionTarget {
    const channelId = i.channelId;
    const fallback = privateJob
      ? () => new ChannelTarget(async () => i.user.createDM().catch(() => null))
      : () => new ChannelTarget(() => this.sendableChannel(channelId));
    return new InteractionTarget(i, this.options.tokenLifetimeMs ?? 14 * 60_000, fallback);
  }

  private async sendableChannel(channelId: string | null | undefined): Promise<SendableChannels | null> {
    if (!channelId) return null;
    const ch = this.client.channels.cache.get(channelId) ?? (await this.client.channels.fetch(channelId).catch(() => null));
    return ch && ch.isSendable() ? ch : null;
  }

  /** Shows a job's life in a target; records where its message is. */
  private follow(jobId: string, spec: JobSpec, target: ReplyTarget, first: { position: number; estimatedWaitMs: number }, note?: string, reading?: string): void {
    const view = new JobView(this.engine, jobId, spec, target, {
      minEditIntervalMs: this.options.minEditIntervalMs,
      maxUploadBytes: this.options.maxUploadBytes,
      note,
      reading,
      log: this.log,
      onLocated: (loc: MessageLocation) => void this.engine.setMessageRef(jobId, `${loc.channelId}/${loc.messageId}`).catch(() => {}),
    });
    this.track(view).start(first);
  }

  /** Keeps a view in `views` until it has shown its final message. */
  private track(view: JobView): JobView {
    this.views.set(view.jobId, view);
    void view.finished.then(() => {
      if (this.views.get(view.jobId) === view) this.views.delete(view.jobId);
    });
    return view;
  }

  /** Results of jobs this process did not start (recovered after a restart) go to their channel. */
  private onAnyJobEvent(e: JobEvent): void {
    if (e.owner.platform !== 'discord' || this.stopped) return;
    if (e.type !== 'done' && e.type !== 'failed' && e.type !== 'cancelled') return;
    if (this.views.has(e.jobId)) return;
    void (async () => {
      const job = await this.engine.get(e.jobId);
      if (!job || job.createdAt >= this.startedAt || this.views.has(e.jobId)) return;
      const ref = job.owner.messageRef?.split('/');
      const channelId = ref?.[0] ?? job.owner.channelRef;
      // Guild channels are known once the gateway session is ready. A private job goes to its owner's direct messages only.
      const owner = job.owner.userId;
      const target = job.owner.private
        ? new ChannelTarget(async () => (await this.ready(), this.client.users.createDM(owner).catch(() => null)))
        : new ChannelTarget(async () => (await this.ready(), this.sendableChannel(channelId)), ref?.[1]);
      this.track(new JobView(this.engine, e.jobId, job.spec, target, { log: this.log, note: `Finished after a restart, for <@${job.owner.userId}>.` })).start();
    })().catch((err) => this.log.warn({ err: safeError(err), jobId: e.jobId }, 'discord recovery report failed'));
  }
}

/** Creates the adapter and logs in. */
export async function startDiscord(engine: Engine, config: Config, options: DiscordAdapterOptions = {}): Promise<DiscordAdapter> {
  const adapter = new DiscordAdapter(engine, config, options);
  await adapter.start();
  return adapter;
}

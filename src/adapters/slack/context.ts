// What every Slack handler shares: the engine, the bot's Web API client, limits and the bot's
// identity, plus a registry of background tasks (job flows) that stop() waits for.
import type { webApi } from '@slack/bolt';
import type { Config } from '../../config.ts';
import type { Engine } from '../../jobs/api.ts';
import type { Logger } from '../../jobs/logger.ts';
import type { DownloadLimits } from './download.ts';

/** Shared state of one running Slack bot. */
export interface SlackContext {
  engine: Engine;
  client: webApi.WebClient;
  config: Config;
  log: Logger;
  /** The bot's user id (auth.test user_id) and bot id. */
  botUserId: string;
  botId?: string;
  /** Bot token: sent only to Slack's file hosts when downloading. */
  botToken: string;
  download: DownloadLimits;
  /** Least time between two edits of a status message. */
  statusIntervalMs: number;
  /** Secret values scrubbed from every log line. */
  secrets: string[];
  /** Jobs whose status message this process keeps up to date. */
  following: Set<string>;
  /** Runs `task` in the background; errors are logged, never thrown; stop() aborts `signal` and waits for it. */
  background(name: string, task: (signal: AbortSignal) => Promise<unknown>): void;
  /** Whether `userId` is an admin (ADMIN_USER_IDS): cancels anyone's job, changes the workspace's /settings and content rules. */
  isAdmin(userId: string): boolean;
  /** The workspace (auth.test team_id): the "server" of settings and content rules. */
  teamId?: string;
}

/** Where the bot answers: a channel, and the thread in it (absent = top level). */
export interface Place {
  channel: string;
  threadTs?: string;
}

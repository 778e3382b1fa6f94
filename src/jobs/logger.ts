// Shared by the bot's process, the inference process and the CLI.
// The pino logger: structured lines carrying job ids; secrets are redacted by key wherever they appear.
import pino, { type Logger } from 'pino';
import { prettyDestination, wantsPretty, type LogFormat } from './log-pretty.ts';

/** Keys whose values never reach a log line. */
export const REDACT_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'password',
  'authorization',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.password',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'config.discord.token',
  'config.slack.botToken',
  'config.slack.appToken',
  'config.slack.signingSecret',
  'config.playground.token',
];

/** A pino logger at `level` writing JSON lines to stdout (or `destination`), with secret keys redacted. */
export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { app: 'diffuse-bot' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination,
  );
}

/** The logger of a long-running process: readable lines on a terminal (or LOG_FORMAT=pretty), JSON lines otherwise. */
export function processLogger(config: { logLevel: string; logFormat: LogFormat }): Logger {
  return createLogger(config.logLevel, wantsPretty(config.logFormat) ? prettyDestination() : undefined);
}

export type { Logger };

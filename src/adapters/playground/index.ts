// The local playground: a chat-like page in the browser and the JSON HTTP API behind it
// (docs/api.md). `npm start` runs it when no chat platform is configured.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Config } from '../../config.ts';
import type { Engine } from '../../jobs/api.ts';
import { createLogger, type Logger } from '../../jobs/logger.ts';
import type { DecodeLimits } from '../../imaging/index.ts';
import { AddressLimit } from './address-limit.ts';
import { loadAssets } from './assets.ts';
import { assertSafeBinding } from './auth.ts';
import { SessionHistory } from './history.ts';
import { handle } from './server.ts';
import { Sessions } from './sessions.ts';

export { isLoopbackHost, assertSafeBinding } from './auth.ts';

/** Options of startPlayground beyond the config. */
export interface PlaygroundOptions {
  /** Bind address (default config.playground.host). */
  host?: string;
  /** Port (default config.playground.port; 0 = any free port). */
  port?: number;
  /** Access token (default config.playground.token). */
  token?: string;
  logger?: Logger;
  /** Largest request body in bytes (default 25 MiB: two 10 MiB images as base64). */
  maxBodyBytes?: number;
  /** Largest JSON request body in bytes (default 1 MiB; at most maxBodyBytes): larger images go as multipart files. */
  maxJsonBytes?: number;
  /** Image limits used to explain a refused upload; keep equal to the engine's uploadLimits (default: the config's UPLOAD_MAX_BYTES / UPLOAD_MAX_PIXELS). */
  uploadLimits?: DecodeLimits;
  /** File of the per-session job index (default DATA_DIR/playground/history.jsonl; null keeps it in memory). */
  historyFile?: string | null;
  /** Milliseconds between keep-alive comments on event streams (default 15000). */
  heartbeatMs?: number;
  /** File of the key that signs session cookies (default DATA_DIR/playground/session.key; null keeps one in memory). */
  sessionKeyFile?: string | null;
}

/** A running playground. */
export interface Playground {
  /** Address to open in a browser, e.g. http://127.0.0.1:8080/ */
  url: string;
  /** Closes open event streams and connections, then the server. */
  stop(): Promise<void>;
}

/** Starts the playground HTTP server (node:http); refuses a non-loopback host without an access token. */
export async function startPlayground(
  config: Config,
  engine: Engine,
  options: PlaygroundOptions = {},
): Promise<Playground> {
  const host = options.host ?? config.playground.host;
  const port = options.port ?? config.playground.port;
  const token = options.token ?? config.playground.token;
  assertSafeBinding(host, token);
  const log = (options.logger ?? createLogger(config.logLevel)).child({ adapter: 'playground' });
  const assets = await loadAssets();
  const historyFile =
    options.historyFile === undefined
      ? path.join(config.dataDir, 'playground', 'history.jsonl')
      : options.historyFile;
  const streams = new Set<() => void>();
  const deps = {
    config,
    engine,
    assets,
    history: new SessionHistory(historyFile),
    log,
    host,
    token,
    maxBodyBytes: options.maxBodyBytes ?? 25 * 1024 * 1024,
    maxJsonBytes: options.maxJsonBytes ?? 1024 * 1024,
    uploadLimits: options.uploadLimits ?? { maxBytes: config.uploadMaxBytes, maxPixels: config.uploadMaxPixels },
    heartbeatMs: options.heartbeatMs ?? 15_000,
    streams,
    addressLimit: new AddressLimit(engine, config.userMaxPending),
    sessions: Sessions.open(
      options.sessionKeyFile === undefined ? path.join(config.dataDir, 'playground', 'session.key') : options.sessionKeyFile,
    ),
  };
  const server = createServer(
    { requestTimeout: 120_000, headersTimeout: 30_000 },
    (req, res) => void handle(req, res, deps),
  );
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `The playground cannot listen on ${host}:${port}: the port is in use. Set PLAYGROUND_PORT to a free port.`,
            )
          : err,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${addr.port}/`;
  log.info({ url, auth: token ? 'token required' : 'none' }, 'playground listening');

  let stopped: Promise<void> | null = null;
  return {
    url,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const close of [...streams]) close();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      return stopped;
    },
  };
}

/** The host part of the printed URL: wildcard binds print localhost, IPv6 literals get brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

// Browser sessions of the playground: ids the server issued and signed. A session cookie is
// `<id>.<signature>`, the signature an HMAC-SHA256 of the id under a key kept in
// DATA_DIR/playground/session.key (made once, mode 0600), so that sessions last across restarts and
// a client cannot invent them: a cookie the server did not issue counts as no cookie (a fresh
// session is issued, and its jobs share the client address's allowance), so inventing cookies does
// not buy a fresh per-user allowance. Jobs are owned by the id alone, which is never a cookie.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { parseCookies, SESSION_COOKIE } from './auth.ts';

const ID_RE = /^[A-Za-z0-9_-]{22}$/;
/** A cookie of an earlier version: a bare random id, unsigned. */
const LEGACY_RE = /^[A-Za-z0-9_-]{22,64}$/;

/** A request's session: its id (the jobs' owner.userId), whether it came without a valid cookie, and the cookie to set, if any. */
export interface Session {
  id: string;
  /** No cookie the server issued came with the request (its jobs count against the address's allowance). */
  fresh: boolean;
  /** A new cookie value to send (a fresh session, or an earlier version's cookie now signed). */
  setCookie?: string;
}

/** Issues and checks signed session ids. */
export class Sessions {
  private constructor(private readonly key: Buffer) {}

  /** The key from `file`, made there (32 random bytes, mode 0600) when missing; `null` keeps a random key in memory (sessions end with the process). */
  static open(file: string | null): Sessions {
    if (file === null) return new Sessions(randomBytes(32));
    let hex: string | null = null;
    try {
      hex = readFileSync(file, 'utf8').trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (hex === null || !/^[0-9a-f]{64}$/.test(hex)) {
      mkdirSync(path.dirname(file), { recursive: true });
      hex = randomBytes(32).toString('hex');
      writeFileSync(file, hex + '\n', { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    return new Sessions(Buffer.from(hex, 'hex'));
  }

  /** The cookie value of session `id`. */
  cookieOf(id: string): string {
    return `${id}.${this.signature(id)}`;
  }

  /** The session id a cookie value names, or null when the server did not issue it. */
  verify(value: string): string | null {
    const dot = value.indexOf('.');
    if (dot < 0) return null;
    const id = value.slice(0, dot);
    if (!ID_RE.test(id)) return null;
    const given = Buffer.from(value.slice(dot + 1));
    const want = Buffer.from(this.signature(id));
    return given.length === want.length && timingSafeEqual(given, want) ? id : null;
  }

  /**
   * The session of a request. A cookie the server did not issue is no cookie: a fresh session. A
   * bare id of an earlier version is kept (and signed) only when `known(id)` says that session
   * asked for jobs here, so sessions from before signing keep their jobs and nobody gains by
   * inventing ids.
   */
  of(req: IncomingMessage, known: (id: string) => boolean): Session {
    const value = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (value) {
      const id = this.verify(value);
      if (id) return { id, fresh: false };
      if (LEGACY_RE.test(value) && known(value)) return { id: value, fresh: false, setCookie: this.cookieOf(value) };
    }
    const id = randomBytes(16).toString('base64url');
    return { id, fresh: true, setCookie: this.cookieOf(id) };
  }

  private signature(id: string): string {
    return createHmac('sha256', this.key).update(`diffuse-session:${id}`).digest('base64url');
  }
}

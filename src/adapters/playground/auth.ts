// Who may use the playground: loopback binding by default, an access token for anything else
// (Bearer header, or a cookie set by /?token=), cookies (the session cookie: sessions.ts), and
// Host/Origin checks against DNS rebinding and cross-site requests.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Cookie holding the browser's session id (the jobs' owner.userId). */
export const SESSION_COOKIE = 'diffuse_session';
/** Cookie holding the access token after a visit to /?token=. */
export const TOKEN_COOKIE = 'diffuse_token';

/** Whether a bind address only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || h.startsWith('::ffff:127.');
  return false;
}

/** Refuses a configuration that would expose the playground beyond this machine without a token. */
export function assertSafeBinding(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new Error(
      `Refusing to start the playground on ${host}: it would be reachable from other machines without a password. ` +
        'Set PLAYGROUND_TOKEN to a long random string (e.g. `openssl rand -hex 24`), or keep PLAYGROUND_HOST=127.0.0.1.',
    );
  }
}

/** Parses a Cookie header (RFC 6265) into name -> value; the first of duplicate names wins. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (name in out) continue;
    let value = part.slice(i + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/** Constant-time comparison of two secrets (both hashed first, so lengths do not leak). */
export function secretEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Whether a request carries the access token (Authorization: Bearer, or the token cookie). */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m && secretEquals(m[1].trim(), token)) return true;
  }
  const cookie = parseCookies(req.headers.cookie)[TOKEN_COOKIE];
  return cookie !== undefined && secretEquals(cookie, token);
}

/** A Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, a year long; Secure when the page is served over TLS by a proxy. */
export function cookieHeader(name: string, value: string, secure: boolean): string {
  return `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** Whether the Host header is acceptable: any host when bound beyond loopback (token required there), loopback names otherwise (others are DNS-rebinding attempts). */
export function hostAllowed(req: IncomingMessage, boundHost: string): boolean {
  if (!isLoopbackHost(boundHost)) return true;
  const host = req.headers.host;
  if (!host) return false;
  return isLoopbackHost(hostnameOf(host));
}

/**
 * Whether a state-changing request comes from this origin. A browser's Fetch Metadata comes first
 * (the rule of Go's net/http CrossOriginProtection): `Sec-Fetch-Site` same-origin or none (typed in,
 * a bookmark) is this origin, cross-site or same-site is not, whatever the Origin header says. Without
 * it, the Origin header must name this host (no Origin = not a browser cross-site request).
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== '') return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (origin === undefined || origin === '') return true;
  if (origin === 'null') return false;
  const host = req.headers.host;
  if (!host) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** The host name of a Host header ("[::1]:8080" -> "::1", "localhost:80" -> "localhost"). */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const i = h.lastIndexOf(':');
  return i >= 0 && h.indexOf(':') === i ? h.slice(0, i) : h;
}

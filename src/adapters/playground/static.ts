// The page's static files: HTML, CSS and JS from memory with ETag and gzip, a strict CSP on the
// page, and the `/?token=` visit that sets the access-token cookie.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Asset } from './assets.ts';
import { TOKEN_COOKIE, cookieHeader, secretEquals } from './auth.ts';
import { HttpError } from './http-error.ts';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Whether the page is served over TLS by a proxy (its cookies are then marked Secure). */
export function isTls(req: IncomingMessage): boolean {
  return req.headers['x-forwarded-proto'] === 'https';
}

/** Serves the page's files (GET/HEAD), with the CSP on the page; `/?token=` with the right token sets the token cookie. */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  deps: { token?: string; assets: Map<string, Asset> },
): Promise<void> {
  const method = req.method ?? 'GET';
  const token = url.searchParams.get('token');
  if (url.pathname === '/' && token !== null) {
    if (deps.token && secretEquals(token, deps.token)) {
      res.appendHeader('set-cookie', cookieHeader(TOKEN_COOKIE, token, isTls(req)));
      res.writeHead(303, { location: '/', 'cache-control': 'no-store' }).end();
      return;
    }
    // A wrong token: the page loads and shows the API's 401 message.
  }
  const path = url.pathname === '/index.html' ? '/' : url.pathname;
  const a = deps.assets.get(path);
  if (!a) throw new HttpError(404, `Nothing at ${url.pathname}.`, 'not_found');
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    throw new HttpError(405, `${method} is not allowed here.`, 'method_not_allowed');
  }
  const headers: Record<string, string> = {
    'content-type': a.type,
    etag: a.etag,
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
  };
  if (path === '/') headers['content-security-policy'] = CSP;
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? a.gzip : a.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(method === 'HEAD' ? undefined : body);
}

// The page's static files: HTML and CSS as written, the browser TypeScript as one module (built
// into dist/ by scripts/build.mjs; bundled at start with esbuild only when running the sources, as
// the tests do), no framework, no external resources, each kept in memory with its gzip form and an ETag.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** One static file ready to send. */
export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** Folder of the page's sources. */
export const WEB_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');

function asset(type: string, body: Buffer): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { type, body, gzip: gzipSync(body, { level: 9 }), etag };
}

/** The browser module: web/app.js as built, or web/app.ts (and what it imports) bundled now. */
async function bundleApp(): Promise<Buffer> {
  if (existsSync(path.join(WEB_DIR, 'app.js'))) return readFile(path.join(WEB_DIR, 'app.js'));
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new Error(
      `The playground's sources need esbuild to serve its page (or run the build: npm run build): ${(err as Error).message}`,
    );
  }
  const out = await esbuild.build({
    entryPoints: [path.join(WEB_DIR, 'app.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return Buffer.from(out.outputFiles[0].contents);
}

/** Loads and builds every file the page needs, keyed by URL path. */
export async function loadAssets(): Promise<Map<string, Asset>> {
  const [html, css, js, icon] = await Promise.all([
    readFile(path.join(WEB_DIR, 'index.html')),
    readFile(path.join(WEB_DIR, 'style.css')),
    bundleApp(),
    readFile(path.join(WEB_DIR, 'icon.svg')),
  ]);
  return new Map([
    ['/', asset('text/html; charset=utf-8', html)],
    ['/style.css', asset('text/css; charset=utf-8', css)],
    ['/app.js', asset('text/javascript; charset=utf-8', js)],
    ['/icon.svg', asset('image/svg+xml', icon)],
  ]);
}

// The one build step: esbuild turns each TypeScript file of src/ and commands/ into a JavaScript
// file of the same path under dist/ (relative imports of `.ts` files become `.js`), copies the
// playground's static files and bundles its browser code once, and the CLI into one module. Everything at run time is plain
// `node dist/...`. Runs at `npm install` (prepare), and before `npm start`, `npm run worker`,
// `npm test` and the `diffuse` CLI when a source file changed since the last build (stale check:
// the list of source files with their sizes and modification times).
//   node scripts/build.mjs           build when stale
//   node scripts/build.mjs --force   build always
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  copyFileSync,
  renameSync,
} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist');
const SOURCES = ['src', 'commands', 'deploy'];
/** Browser code of the playground: bundled into one module, not built file by file. */
const WEB = path.join('src', 'adapters', 'playground', 'web');
const STAMP = '.source-key';

function listFiles(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Every source file (relative to the root) with the key of what a build of them would be. */
function sources() {
  const files = SOURCES.flatMap((d) => listFiles(path.join(ROOT, d))).map((f) => path.relative(ROOT, f));
  const h = createHash('sha256');
  for (const f of [...files, 'scripts/build.mjs', 'package.json']) {
    const s = statSync(path.join(ROOT, f));
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return { files, key: h.digest('hex') };
}

/** Relative `.ts` specifiers (imports, dynamic imports, `new URL('./x.ts', import.meta.url)`) as `.js`. */
function rewriteSpecifiers(text) {
  return text.replace(/(['"])(\.\.?\/[^'"\n]*?)\.ts\1/g, '$1$2.js$1');
}

/** Builds into a folder of its own, then swaps it in for dist/ (a process reading dist/ meanwhile sees one whole build). */
async function build(files, key) {
  const out = `${DIST}.tmp-${process.pid}`;
  rmSync(out, { recursive: true, force: true });
  try {
    await emit(files, out);
    writeFileSync(path.join(out, STAMP), key + '\n');
    const old = `${DIST}.old-${process.pid}`;
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(out, DIST);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function emit(files, DIST) {
  const esbuild = await import('esbuild');
  const isWeb = (f) => f.startsWith(WEB + path.sep);
  const code = files.filter((f) => /\.(ts|mts)$/.test(f) && !f.endsWith('.d.ts') && !isWeb(f));
  // Plain JavaScript modules (.mjs) are copied with their specifiers rewritten.
  for (const f of files.filter((f) => f.endsWith('.mjs'))) {
    mkdirSync(path.dirname(path.join(DIST, f)), { recursive: true });
    writeFileSync(path.join(DIST, f), rewriteSpecifiers(readFileSync(path.join(ROOT, f), 'utf8')));
  }
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: code,
    outdir: DIST,
    outbase: '.',
    outExtension: { '.js': '.js' },
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    logLevel: 'warning',
    plugins: [
      {
        name: 'js-specifiers',
        setup(b) {
          b.onLoad({ filter: /\.m?ts$/ }, (args) => ({
            contents: rewriteSpecifiers(readFileSync(args.path, 'utf8')),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  // The CLI, which starts for every image, as one module with a chunk per lazily loaded part: one
  // file to load is faster than a module per source file. Each source's import.meta.url is its
  // built file's (relative to the chunk, so dist/ can move), so the paths derived from it hold.
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { cli: path.join('src', 'adapters', 'cli.ts') },
    outdir: path.join(DIST, 'cli'),
    bundle: true,
    splitting: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    plugins: [
      {
        name: 'built-file-urls',
        setup(b) {
          b.onLoad({ filter: /\.m?ts$/ }, (args) => {
            const built = path.relative(ROOT, args.path).replace(/\.m?ts$/, '.js');
            const url = `new URL(${JSON.stringify(`../${built.split(path.sep).join('/')}`)}, import.meta.url).href`;
            const text = rewriteSpecifiers(readFileSync(args.path, 'utf8'));
            return { contents: text.replace(/\bimport\.meta\.url\b/g, url), loader: 'ts' };
          });
        },
      },
    ],
  });
  // The playground page: static files as they are, the browser TypeScript as one module.
  for (const f of files.filter((f) => isWeb(f) && !/\.ts$/.test(f))) {
    mkdirSync(path.dirname(path.join(DIST, f)), { recursive: true });
    copyFileSync(path.join(ROOT, f), path.join(DIST, f));
  }
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(WEB, 'app.ts')],
    outfile: path.join(DIST, WEB, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

/** Builds dist/ when a source changed since the last build (or always with `force`); true when it built. */
export async function ensureBuilt({ force = false } = {}) {
  const { files, key } = sources();
  const stamp = path.join(DIST, STAMP);
  const built = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  if (!force && built === key) return false;
  await build(files, key);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  try {
    const did = await ensureBuilt({ force: process.argv.includes('--force') });
    if (did) console.error(`diffuse-bot: built dist/ in ${Math.round(performance.now() - t0)} ms`);
  } catch (err) {
    console.error(`diffuse-bot: the build failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}

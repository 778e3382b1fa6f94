// The `diffuse` CLI as bundled JavaScript: esbuild bundles src/adapters/cli.ts and the modules it
// imports from src/ (packages stay imports) into node_modules/.cache/diffuse/cli-<key>/, once, and again
// whenever a file under src/ changes. Loading that one file is about a second faster than loading
// each TypeScript module through tsx's loader, which matters to a command that starts for every
// image. Each module's import.meta.url (and dirname, filename) stays that of its source file, so
// the paths the code derives from it (models, worker entries, web assets) are unchanged.
// bundledCli() returns the bundle's file: URL, or null where it cannot be built or written (a
// read-only install, esbuild missing): the launcher then loads the TypeScript through tsx.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const ENTRY = path.join(SRC, 'adapters', 'cli.ts');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'diffuse');

/** A key of everything the bundle is built from: every file under `src` (name, size, mtime), the build settings and the versions. */
export function sourceKey(src = SRC) {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const s = statSync(p);
        h.update(`${path.relative(src, p)}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  walk(src);
  for (const f of ['tsconfig.json', 'package.json', 'bin/cli-bundle.mjs']) {
    const s = statSync(path.join(ROOT, f));
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  h.update(process.version);
  return h.digest('hex').slice(0, 20);
}

/** Replaces import.meta.url, .dirname and .filename in a source file with the file's own values. */
const keepImportMeta = {
  name: 'keep-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|js|mjs)$/ }, (args) => {
      if (!args.path.startsWith(SRC + path.sep)) return undefined;
      const text = readFileSync(args.path, 'utf8')
        .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
        .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(path.dirname(args.path)))
        .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path));
      return {
        contents: text,
        loader: /\.m?ts$/.test(args.path) ? 'ts' : 'js',
        resolveDir: path.dirname(args.path),
      };
    });
  },
};

/** The file: URL of the CLI bundle, built first if the sources changed; null where that cannot be done. */
export async function bundledCli() {
  try {
    if (!existsSync(ENTRY)) return null;
    const out = path.join(CACHE, `cli-${sourceKey()}`);
    const main = path.join(out, 'cli.mjs');
    if (existsSync(main)) return pathToFileURL(main).href;
    const esbuild = await import('esbuild');
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    await esbuild.build({
      entryPoints: { cli: ENTRY },
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      // Modules the CLI imports on demand (the worker, pulling models) stay separate files, loaded
      // with the packages they need only when needed.
      splitting: true,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      tsconfig: path.join(ROOT, 'tsconfig.json'),
      plugins: [keepImportMeta],
      logLevel: 'silent',
    });
    try {
      renameSync(tmp, out); // atomic: a CLI started meanwhile sees the whole bundle or none
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another CLI renamed its build first
      if (!existsSync(main)) return null;
    }
    for (const f of readdirSync(CACHE)) {
      const p = path.join(CACHE, f);
      if (f.startsWith('cli-') && p !== out && !f.endsWith('.tmp'))
        rmSync(p, { recursive: true, force: true });
    }
    return pathToFileURL(main).href;
  } catch {
    return null;
  }
}

// Runs in the inference process and the CLI.
// Model resolution: a name in the models folder, or a path to a folder holding model.json.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from './errors.ts';
import { readManifest, type ModelFamily } from './manifest.ts';
import type { Shape } from '../diffusion/types.ts';

/** The package's root: the nearest folder above this file with a package.json (the same from src/ and dist/src/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** The package's `models/` folder. */
export function defaultModelsDir(): string {
  return join(packageRoot(), 'models');
}

/** One installed model, as `diffuse models` lists it. */
export interface ModelInfo {
  name: string;
  dir: string;
  family?: ModelFamily;
  description?: string;
  sample?: Shape;
  license?: string;
  /** Set when the folder's model.json is unreadable or invalid. */
  error?: string;
}

function hasManifest(dir: string): boolean {
  return existsSync(join(dir, 'model.json'));
}

/** List the model folders of modelsDir (each with a model.json), sorted by name; invalid manifests are listed with their error. */
export function listModels(modelsDir: string = defaultModelsDir()): ModelInfo[] {
  if (!existsSync(modelsDir)) return [];
  const out: ModelInfo[] = [];
  for (const entry of readdirSync(modelsDir).sort()) {
    const dir = join(modelsDir, entry);
    if (!statSync(dir).isDirectory() || !hasManifest(dir)) continue;
    try {
      const m = readManifest(dir);
      out.push({
        name: entry,
        dir,
        family: m.family,
        description: m.description,
        sample: m.sample,
        license: m.license,
      });
    } catch (err) {
      out.push({ name: entry, dir, error: (err as Error).message });
    }
  }
  return out;
}

function looksLikePath(s: string): boolean {
  return isAbsolute(s) || s.startsWith('.') || s.startsWith('~') || s.includes('/') || s.includes('\\');
}

/** Resolve a model name (`<modelsDir>/<name>`) or a folder path to an absolute folder holding model.json. */
export function resolveModelDir(nameOrPath: string, modelsDir: string = defaultModelsDir()): string {
  if (looksLikePath(nameOrPath)) {
    const dir = resolve(nameOrPath);
    if (hasManifest(dir)) return dir;
    throw new ModelError('unknown-model', `No model at ${dir}: the folder has no model.json`);
  }
  const named = join(modelsDir, nameOrPath);
  if (hasManifest(named)) return resolve(named);
  const local = resolve(nameOrPath);
  if (hasManifest(local)) return local;
  const installed = listModels(modelsDir).map((m) => m.name);
  const list = installed.length > 0 ? installed.join(', ') : 'none';
  throw new ModelError(
    'unknown-model',
    `Unknown model "${nameOrPath}". Installed models in ${modelsDir}: ${list}`,
  );
}

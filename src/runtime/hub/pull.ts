// Runs in the inference process and the CLI.
// `models pull`: list a hub repository, keep the files a supported layout needs, download them
// (resumably, sizes checked) into `<modelsDir>/<name>`, and write the model manifest.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { isLatentLayoutFile, transformerRefusal, writeDiffusersManifest } from '../latent/diffusers.ts';
import { readManifest, type ModelManifest } from '../manifest.ts';
import { schedulerSummary } from '../../diffusion/samplers/config.ts';
import { HubError, listRepoFiles, resolveUrl, type HubOptions, type RepoFile } from './client.ts';
import { downloadFile } from './download.ts';

/** What to pull and where. */
export interface PullRequest {
  repo: string;
  revision?: string;
  /** Folder of the repository holding the model (its files are placed at the model folder's root). */
  subfolder?: string;
  /** Model folder name under modelsDir (default: from the repository or subfolder name). */
  name?: string;
  modelsDir: string;
}

/** Progress events of a pull. */
export interface PullHooks {
  /** Before the downloads: the files to fetch (skipped ones excluded) and their total size. */
  onPlan?(files: readonly RepoFile[], totalBytes: number, skipped: number): void;
  /** Bytes of all files so far, of the total; and the file being fetched. */
  onProgress?(doneBytes: number, totalBytes: number, file: string): void;
  /** Further attempts per file after a dropped connection (default 3). */
  retries?: number;
}

/** What a pull produced. */
export interface PullResult {
  name: string;
  dir: string;
  layout: 'latent' | 'manifest';
  /** Files fetched in this run, and files already complete on disk. */
  downloaded: number;
  skipped: number;
  bytes: number;
  manifest: ModelManifest;
  /** The scheduler class, the sampler chosen and every config key applied (schedulerSummary). */
  scheduler: string;
}

/** A model folder name from a repository id or subfolder: its last segment, lower-cased, [a-z0-9._-] only. */
export function modelNameFor(repo: string, subfolder?: string): string {
  const last = (
    subfolder?.split('/').filter(Boolean).pop() ??
    repo.split('/').pop() ??
    'model'
  ).toLowerCase();
  const clean = last.replace(/[^a-z0-9._-]+/g, '-').replace(/^[.-]+|-+$/g, '');
  return clean || 'model';
}

/** Which layout a listing holds (paths relative to the model folder): our own model.json, or a diffusers ONNX pipeline. */
export function detectLayout(paths: readonly string[]): 'manifest' | 'latent' {
  if (paths.includes('model.json')) return 'manifest';
  if (paths.includes('model_index.json') && paths.includes('unet/model.onnx')) return 'latent';
  if (paths.includes('transformer/model.onnx')) throw new HubError('layout', transformerRefusal('this repository'));
  const shown = paths.slice(0, 12).join(', ') + (paths.length > 12 ? ', ...' : '');
  throw new HubError(
    'layout',
    `not a supported model layout: expected model.json, or model_index.json with unet/model.onnx (a diffusers/optimum ONNX export); found ${shown || 'no files'}`,
  );
}

function safeRelative(rel: string): boolean {
  if (rel === '' || isAbsolute(rel) || rel.includes('\\')) return false;
  const n = normalize(rel);
  return !n.startsWith('..') && !n.split(sep).includes('..');
}

/** Pull a model: list, select, download (resuming `.part` files, skipping complete ones), then write or validate the manifest. */
export async function pullModel(
  req: PullRequest,
  hub: HubOptions,
  hooks: PullHooks = {},
): Promise<PullResult> {
  const revision = req.revision ?? 'main';
  const sub = req.subfolder?.replace(/^\/+|\/+$/g, '') || undefined;
  const listed = await listRepoFiles(hub, req.repo, revision, sub);
  const prefix = sub ? `${sub}/` : '';
  const files = listed
    .filter((f) => f.path.startsWith(prefix))
    .map((f) => ({ ...f, rel: f.path.slice(prefix.length) }))
    .filter((f) => safeRelative(f.rel));
  const layout = detectLayout(files.map((f) => f.rel));
  const wanted =
    layout === 'latent'
      ? files.filter((f) => isLatentLayoutFile(f.rel))
      : files.filter((f) => !f.rel.startsWith('.git'));
  const name = req.name ?? modelNameFor(req.repo, sub);
  const dir = join(req.modelsDir, name);
  mkdirSync(dir, { recursive: true });

  // model.json last: a folder only lists as a model once everything else is in place.
  const todo = wanted
    .filter((f) => {
      const dest = join(dir, f.rel);
      return !(existsSync(dest) && statSync(dest).size === f.size);
    })
    .sort((a, b) => Number(a.rel === 'model.json') - Number(b.rel === 'model.json'));
  const total = todo.reduce((a, f) => a + f.size, 0);
  hooks.onPlan?.(todo, total, wanted.length - todo.length);
  let done = 0;
  for (const f of todo) {
    const base = done;
    await downloadFile(hub, resolveUrl(hub, req.repo, revision, f.path), join(dir, f.rel), f.size, f.path, {
      retries: hooks.retries,
      onProgress: (n) => hooks.onProgress?.(base + n, total, f.rel),
    });
    done += f.size;
    hooks.onProgress?.(done, total, f.rel);
  }
  const source = `${req.repo}@${revision}${sub ? `/${sub}` : ''}`;
  const manifest = layout === 'latent' ? writeDiffusersManifest(dir, { name, source }) : readManifest(dir);
  return {
    name,
    dir,
    layout,
    downloaded: todo.length,
    skipped: wanted.length - todo.length,
    bytes: total,
    manifest,
    scheduler: schedulerSummary(manifest.scheduler, manifest.defaults.sampler ?? 'ddpm'),
  };
}

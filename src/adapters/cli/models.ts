// Model lookup of the CLI (and its benchmarks): the models folder, and names resolved with a
// message that lists what is installed.
import { isAbsolute } from 'node:path';
import type { Config } from '../../config.ts';
import { defaultModelsDir, listModels, ModelError, resolveModelDir } from '../../runtime/index.ts';

/** The models folder: $MODELS_DIR when set, else the repository's models/ (so the CLI works from any directory). */
export function modelsDirOf(config: Config, env: NodeJS.ProcessEnv): string {
  return env.MODELS_DIR && env.MODELS_DIR.trim() !== '' ? config.modelsDir : defaultModelsDir();
}

/** Whether a --model value names a folder rather than an installed model. */
export function looksLikePath(s: string): boolean {
  return isAbsolute(s) || s.startsWith('.') || s.startsWith('~') || s.includes('/') || s.includes('\\');
}

/** Resolve a model name or folder to its absolute folder; an unknown name throws ModelError('unknown-model') listing the installed models. */
export function resolveModel(name: string, modelsDir: string): string {
  try {
    return resolveModelDir(name, modelsDir);
  } catch (err) {
    if (err instanceof ModelError && err.code === 'unknown-model' && !looksLikePath(name)) {
      const installed = listModels(modelsDir)
        .filter((m) => !m.error)
        .map((m) => m.name);
      throw new ModelError(
        'unknown-model',
        `model '${name}' is not installed; installed: ${installed.length > 0 ? installed.join(', ') : 'none'} (in ${modelsDir}); pass --model NAME|PATH`,
      );
    }
    throw err;
  }
}

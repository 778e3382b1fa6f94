// The `diffuse ...` command line that runs a job's spec again (src/adapters/cli/args.ts flags):
// the prompts as positionals, every resolved parameter as a flag, stored uploads (and a follow-up's
// parent result) by their path under DATA_DIR. Same spec, seed, model and device give the same image (the design's
// determinism), so the line reproduces the job.
import type { JobSpec } from '../src/jobs/api.ts';

/** A word for a POSIX shell: bare when safe, else single-quoted. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_./:=,+@%-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An upload's path as a shell word: DATA_DIR (default ./data) expanded by the shell. */
export function uploadPathWord(ref: string): string {
  return `"\${DATA_DIR:-./data}"/uploads/${ref.slice(0, 2)}/${ref}`;
}

/** A finished job's raw result as a shell word (DATA_DIR expanded by the shell): the image of a follow-up's line. */
export function resultPathWord(jobId: string): string {
  return `"\${DATA_DIR:-./data}"/results/${jobId}/raw.png`;
}

/**
 * The command line of a spec: `diffuse <technique> <positionals> --flags`. Give the spec that ran
 * (ResolvedJobSpec) so the model's defaults of the day are written out; `model` is the model that
 * ran it. Prompts that start with '-' go after `--`. A job of several candidates keeps its
 * --count (the CLI writes the same grid); candidate k alone is the line with seed + k - 1 and no count.
 */
export function commandLineOf(spec: JobSpec, model?: string): string {
  const pos: string[] = [];
  const flags: string[] = [];
  const flag = (name: string, v: string | number | undefined) => {
    if (v !== undefined && v !== '') flags.push(`--${name}`, typeof v === 'number' ? String(v) : shellQuote(v));
  };
  // A follow-up starts from its parent's raw result: --follow-up and --candidate say how.
  const image = spec.image
    ? uploadPathWord(spec.image)
    : spec.source
      ? resultPathWord(spec.source.parent)
      : undefined;
  switch (spec.technique) {
    case 'imagine':
      pos.push(spec.prompt);
      break;
    case 'sketch':
      pos.push(image!);
      if (spec.prompt) pos.push(spec.prompt);
      break;
    case 'inpaint':
      pos.push(image!, spec.prompt);
      break;
    case 'anagram':
    case 'hybrid':
      pos.push(spec.prompt, spec.prompt2 ?? '');
      break;
    case 'noise':
    case 'denoise':
      pos.push(image!);
      break;
  }
  flag('seed', spec.seed);
  flag('negative', spec.negative);
  flag('steps', spec.steps);
  flag('cfg', spec.guidance);
  flag('sampler', spec.sampler);
  flag('noise-level', spec.noiseLevel);
  flag('view', spec.view);
  if (spec.hybrid) {
    flag('sigma', spec.hybrid.sigma);
    flag('kernel', spec.hybrid.kernel);
  }
  if (spec.t) flags.push('--t', spec.t.join(','));
  flag('method', spec.method);
  if (spec.mask) flags.push('--mask', uploadPathWord(spec.mask));
  if (spec.source) {
    flags.push('--follow-up', spec.source.action);
    if (spec.source.count > 1) flags.push('--candidate', `${spec.source.candidate}/${spec.source.count}`);
  }
  if (spec.count !== undefined && spec.count > 1) flag('count', spec.count);
  if (spec.upscale) flags.push('--upscale');
  if (spec.prior === false) flags.push('--prior', 'off');
  flag('model', model ?? spec.model);
  const words = pos.map((p) => (p === image ? p : shellQuote(p)));
  const dashed = pos.some((p) => p !== image && p.startsWith('-'));
  return ['diffuse', spec.technique, ...flags, ...(dashed ? ['--'] : []), ...words].join(' ');
}

/** Splits a command line written by commandLineOf back into words (single quotes, double quotes with ${DATA_DIR:-...} expansion). */
export function splitShellWords(line: string, env: { DATA_DIR?: string } = {}): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated quote');
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new Error('unterminated quote');
      cur += line.slice(i + 1, end).replace(/\$\{DATA_DIR:-([^}]*)\}/g, (_m, def: string) => env.DATA_DIR || def);
      i = end;
      inWord = true;
    } else if (c === '\\') {
      cur += line[++i] ?? '';
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

// Argument parsing of the `diffuse` CLI: node:util parseArgs (strict) per subcommand, strict
// number parsing, and the mapping of flags onto a job-spec input (validated later by parseJobSpec).
import { parseArgs } from 'node:util';
import type { Technique } from '../../jobs/spec.ts';
import { UsageError } from './errors.ts';

/** Every subcommand: one per technique (engine/spec.ts TECHNIQUES, kept light here so usage errors load no zod), plus `models`. */
export const SUBCOMMANDS = [
  'imagine',
  'sketch',
  'inpaint',
  'anagram',
  'hybrid',
  'noise',
  'denoise',
  'models',
] as const satisfies readonly (Technique | 'models')[];
export type Subcommand = (typeof SUBCOMMANDS)[number];

type OptionSpec = { type: 'string' | 'boolean'; short?: string };

/** Options every subcommand accepts. */
const COMMON: Record<string, OptionSpec> = {
  model: { type: 'string' },
  output: { type: 'string', short: 'o' },
  gif: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  device: { type: 'string' },
};

/** Options of the techniques that run the sampling loop. */
const SAMPLING: Record<string, OptionSpec> = {
  seed: { type: 'string' },
  negative: { type: 'string' },
  steps: { type: 'string' },
  cfg: { type: 'string' },
  sampler: { type: 'string' },
};

/** Candidates drawn at once (the techniques whose spec takes a count). */
const COUNT: Record<string, OptionSpec> = { count: { type: 'string' } };

/** The model's coarse data prior on or off (the techniques that draw with it). */
const PRIOR: Record<string, OptionSpec> = { prior: { type: 'string' } };

/** A follow-up's input: the image is an earlier result, --candidate N/COUNT of its grid, used as --follow-up says. */
const FOLLOW_UP: Record<string, OptionSpec> = {
  'follow-up': { type: 'string' },
  candidate: { type: 'string' },
};

const OPTIONS: Record<Subcommand, Record<string, OptionSpec>> = {
  imagine: { ...COMMON, ...SAMPLING, ...COUNT, ...PRIOR },
  sketch: {
    ...COMMON,
    ...SAMPLING,
    ...COUNT,
    ...PRIOR,
    ...FOLLOW_UP,
    'noise-level': { type: 'string' },
    upscale: { type: 'boolean' },
  },
  inpaint: { ...COMMON, ...SAMPLING, ...PRIOR, ...FOLLOW_UP, mask: { type: 'string' } },
  anagram: { ...COMMON, ...SAMPLING, ...COUNT, ...PRIOR, view: { type: 'string' } },
  hybrid: { ...COMMON, ...SAMPLING, ...COUNT, ...PRIOR, sigma: { type: 'string' }, kernel: { type: 'string' } },
  noise: { ...COMMON, seed: { type: 'string' }, t: { type: 'string' } },
  denoise: { ...COMMON, ...SAMPLING, t: { type: 'string' }, method: { type: 'string' } },
  models: {
    model: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    device: { type: 'string' },
  },
};

/** Positional arguments per subcommand: names for messages, and whether the last one takes the rest (unquoted prompts). */
const POSITIONALS: Record<Subcommand, { required: string[]; optional: string[]; rest: boolean }> = {
  imagine: { required: ['prompt'], optional: [], rest: true },
  sketch: { required: ['image'], optional: ['prompt'], rest: true },
  inpaint: { required: ['image', 'prompt'], optional: [], rest: true },
  anagram: { required: ['prompt-upright', 'prompt-transformed'], optional: [], rest: false },
  hybrid: { required: ['prompt-far', 'prompt-near'], optional: [], rest: false },
  noise: { required: ['image'], optional: [], rest: false },
  denoise: { required: ['image'], optional: [], rest: false },
  models: { required: [], optional: [], rest: false },
};

/** What the command line asks for. */
export type CliRequest =
  | { kind: 'help'; subcommand?: Subcommand }
  | { kind: 'models'; json: boolean; model?: string; device?: CliDevice }
  | {
      kind: 'pull';
      repo: string;
      revision?: string;
      subfolder?: string;
      name?: string;
      /** A repository with a tiny autoencoder decoder for previews (TAESD-style ONNX). */
      previewDecoder?: string;
      json: boolean;
    }
  | {
      kind: 'run';
      technique: Technique;
      /** Spec fields from flags and prompts (numbers parsed, ranges unchecked); image refs (and a follow-up source's parent) are added once the files are read. */
      input: Record<string, unknown>;
      /** Paths of the input image and mask, as given. */
      imagePath?: string;
      maskPath?: string;
      /** Whether --steps / --cfg were given (else the model's defaults apply). */
      stepsGiven: boolean;
      cfgGiven: boolean;
      model?: string;
      /** --device: overrides $DEVICE. */
      device?: CliDevice;
      output?: string;
      gif?: string;
      json: boolean;
    };

/** Devices `--device` accepts (as $DEVICE). */
export const CLI_DEVICES = ['cpu', 'cuda', 'webgpu', 'auto'] as const;
export type CliDevice = (typeof CLI_DEVICES)[number];

/** Parse `--device`: cpu, cuda, webgpu or auto. */
export function parseDeviceArg(s: string | undefined): CliDevice | undefined {
  if (s === undefined) return undefined;
  const d = s.trim().toLowerCase();
  if (!(CLI_DEVICES as readonly string[]).includes(d))
    throw new UsageError(`--device must be ${CLI_DEVICES.join(', ')} (got '${s}')`);
  return d as CliDevice;
}

/** Parse a whole, signed decimal integer; rejects '3.5', 'abc', '', '1e3'. */
export function parseIntArg(flag: string, s: string): number {
  if (!/^[+-]?\d+$/.test(s.trim())) throw new UsageError(`${flag} must be a whole number (got '${s}')`);
  return Number(s.trim());
}

/** Options as chat writes them (`--noise_level`) read as the CLI's (`--noise-level`); values and what follows `--` are left alone. */
function dashed(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  return args.map((a, i) =>
    (end < 0 || i < end) && /^--[a-z]+(_[a-z]+)+(=|$)/.test(a)
      ? a.replace(/^--[a-z_]+/, (m) => m.replace(/_/g, '-'))
      : a,
  );
}

/** Parse a finite decimal number (optionally with an exponent); rejects 'abc', '', 'NaN', 'Infinity', '0x10'. */
export function parseFloatArg(flag: string, s: string): number {
  const v = Number(s.trim());
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s.trim()) || !Number.isFinite(v)) {
    throw new UsageError(`${flag} must be a number (got '${s}')`);
  }
  return v;
}

/** Parse a comma-separated list of whole numbers, e.g. '250,500,750'. */
export function parseIntListArg(flag: string, s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^[+-]?\d+$/.test(p))) {
    throw new UsageError(`${flag} must be whole numbers separated by commas, e.g. 250,500,750 (got '${s}')`);
  }
  return parts.map(Number);
}

function isSubcommand(s: string): s is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(s);
}

/** Turn parseArgs' errors into one-line usage messages. */
function parseError(sub: Subcommand, err: unknown): UsageError {
  const e = err as { code?: string; message?: string };
  const msg = e.message ?? String(err);
  const hint = `try 'diffuse ${sub} --help'`;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /Unknown option '([^']+)'/.exec(msg);
    return new UsageError(`unknown option '${m?.[1] ?? '?'}' for ${sub}; ${hint}`);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // e.g. "Option '-o, --output <value>' argument missing": name the long form.
    const m = /Option '([^']+)'/.exec(msg);
    const flag =
      m?.[1]
        ?.replace(/\s*<value>$/, '')
        .split(',')
        .pop()
        ?.trim() || 'an option';
    if (/argument missing/.test(msg)) return new UsageError(`${flag} needs a value; ${hint}`);
    if (/ambiguous/.test(msg))
      return new UsageError(`${flag} needs a value (write ${flag}=VALUE for a value starting with '-')`);
    return new UsageError(`${flag} does not take a value; ${hint}`);
  }
  return new UsageError(`${msg.split('\n')[0]}; ${hint}`);
}

/** Parse `diffuse <subcommand> ...` (argv without node and script) into a request; throws UsageError on bad usage. */
export function parseCommandLine(argv: readonly string[]): CliRequest {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError("missing subcommand; try 'diffuse --help'");
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0];
    return topic !== undefined && isSubcommand(topic)
      ? { kind: 'help', subcommand: topic }
      : { kind: 'help' };
  }
  if (!isSubcommand(first)) {
    if (first.startsWith('-'))
      throw new UsageError(`expected a subcommand before '${first}'; try 'diffuse --help'`);
    throw new UsageError(
      `unknown subcommand '${first}'; try 'diffuse --help' (subcommands: ${SUBCOMMANDS.join(', ')})`,
    );
  }
  const sub = first;
  if (sub === 'models' && rest[0] === 'pull') return parsePull(rest.slice(1));
  const beforeTerminator = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (beforeTerminator.includes('--help') || beforeTerminator.includes('-h'))
    return { kind: 'help', subcommand: sub };
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: dashed(rest),
      options: OPTIONS[sub],
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw parseError(sub, err);
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;

  const pos = POSITIONALS[sub];
  if (positionals.length < pos.required.length) {
    const missing = pos.required[positionals.length];
    throw new UsageError(`${sub} needs <${missing}>; try 'diffuse ${sub} --help'`);
  }
  const max = pos.required.length + pos.optional.length;
  let args = positionals;
  if (positionals.length > max) {
    if (!pos.rest) {
      const extra = positionals[max];
      const quote = pos.required.some((n) => n.startsWith('prompt'))
        ? ' (quote prompts that have spaces)'
        : '';
      throw new UsageError(
        `${sub} takes ${max} argument${max === 1 ? '' : 's'}; unexpected '${extra}'${quote}`,
      );
    }
    args = [...positionals.slice(0, max - 1), positionals.slice(max - 1).join(' ')];
  }

  const device = parseDeviceArg(str('device'));
  if (sub === 'models') return { kind: 'models', json: Boolean(values.json), model: str('model'), device };
  const technique: Technique = sub;

  const input: Record<string, unknown> = { technique };
  let imagePath: string | undefined;
  switch (technique) {
    case 'imagine':
      input.prompt = args[0];
      break;
    case 'sketch':
      imagePath = args[0];
      if (args[1] !== undefined) input.prompt = args[1];
      break;
    case 'inpaint':
      imagePath = args[0];
      input.prompt = args[1];
      break;
    case 'anagram':
    case 'hybrid':
      input.prompt = args[0];
      input.prompt2 = args[1];
      break;
    case 'noise':
    case 'denoise':
      imagePath = args[0];
      break;
  }
  if (imagePath !== undefined && imagePath.trim() === '')
    throw new UsageError(`${sub} needs <image>, got an empty path`);

  const seed = str('seed');
  if (seed !== undefined) input.seed = parseIntArg('--seed', seed);
  const steps = str('steps');
  if (steps !== undefined) input.steps = parseIntArg('--steps', steps);
  const cfg = str('cfg');
  if (cfg !== undefined) input.guidance = parseFloatArg('--cfg', cfg);
  const negative = str('negative');
  if (negative !== undefined) input.negative = negative;
  const sampler = str('sampler');
  if (sampler !== undefined) input.sampler = sampler;
  const count = str('count');
  if (count !== undefined) input.count = parseIntArg('--count', count);
  if (values.upscale === true) input.upscale = true;
  const prior = str('prior');
  if (prior !== undefined) {
    if (!/^(on|off|true|false)$/i.test(prior)) throw new UsageError(`--prior must be on or off (got '${prior}')`);
    input.prior = /^(on|true)$/i.test(prior);
  }
  const noiseLevel = str('noise-level');
  if (noiseLevel !== undefined) input.noiseLevel = parseIntArg('--noise-level', noiseLevel);
  const view = str('view');
  if (view !== undefined) input.view = view;
  const sigma = str('sigma');
  const kernel = str('kernel');
  if (sigma !== undefined || kernel !== undefined) {
    input.hybrid = {
      ...(sigma !== undefined ? { sigma: parseFloatArg('--sigma', sigma) } : {}),
      ...(kernel !== undefined ? { kernel: parseIntArg('--kernel', kernel) } : {}),
    };
  }
  const t = str('t');
  if (t !== undefined)
    input.t = technique === 'denoise' ? [parseIntArg('--t', t)] : parseIntListArg('--t', t);
  const method = str('method');
  if (method !== undefined) input.method = method;
  const followUp = str('follow-up');
  const candidate = str('candidate');
  if (candidate !== undefined && followUp === undefined)
    throw new UsageError('--candidate needs --follow-up (the image is then an earlier result)');
  if (followUp !== undefined) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(candidate ?? '1/1');
    if (!m) throw new UsageError(`--candidate must be N/COUNT, e.g. 2/4 (got '${candidate}')`);
    input.source = { action: followUp, candidate: Number(m[1]), count: Number(m[2]) };
  }

  const maskPath = str('mask');
  if (maskPath !== undefined && maskPath.trim() === '') throw new UsageError('--mask needs a file path');
  for (const flag of ['output', 'gif'] as const) {
    const v = str(flag);
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${flag} needs a file path`);
  }

  return {
    kind: 'run',
    technique,
    input,
    imagePath,
    maskPath,
    stepsGiven: steps !== undefined,
    cfgGiven: cfg !== undefined,
    model: str('model'),
    device,
    output: str('output'),
    gif: str('gif'),
    json: Boolean(values.json),
  };
}

/** Parse `diffuse models pull <repo-id> [--revision R] [--subfolder S] [--name N] [--preview-decoder REPO] [--json]`. */
function parsePull(args: readonly string[]): CliRequest {
  if (args.includes('--help') || args.includes('-h')) return { kind: 'help', subcommand: 'models' };
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: {
        revision: { type: 'string' },
        subfolder: { type: 'string' },
        name: { type: 'string' },
        'preview-decoder': { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw parseError('models', err);
  }
  if (positionals.length === 0)
    throw new UsageError("models pull needs <repo-id>, e.g. 'diffuse models pull stabilityai/sd-turbo'");
  if (positionals.length > 1)
    throw new UsageError(`models pull takes one <repo-id>; unexpected '${positionals[1]}'`);
  const str = (k: string): string | undefined => {
    const v = values[k] as string | undefined;
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${k} needs a value`);
    return v;
  };
  const name = str('name');
  if (name !== undefined && !/^[A-Za-z0-9][\w.-]*$/.test(name))
    throw new UsageError(`--name must be a folder name of letters, digits, '.', '_' or '-' (got '${name}')`);
  return {
    kind: 'pull',
    repo: positionals[0],
    revision: str('revision'),
    subfolder: str('subfolder'),
    name,
    previewDecoder: str('preview-decoder'),
    json: Boolean(values.json),
  };
}

/** Spec field names in parseJobSpec's messages, and the flags that set them. */
const FLAG_OF: readonly [RegExp, string][] = [
  [/^seed\b/i, '--seed'],
  [/^steps\b/i, '--steps'],
  [/^guidance\b/i, '--cfg'],
  [/^sampler\b/i, '--sampler'],
  [/^noise level\b/i, '--noise-level'],
  [/^sigma\b/i, '--sigma'],
  [/^kernel\b/i, '--kernel'],
  [/^method\b/i, '--method'],
  [/^t\b/i, '--t'],
  [/^unknown view\b/i, '--view: unknown view'],
  [/^negative prompt\b/i, '--negative'],
  [/^source\.action\b/i, '--follow-up'],
  [/^candidate( count)?\b/i, '--candidate'],
];

/** A parseJobSpec message in the CLI's words: the field named by its flag, lower case, no final period. */
export function specMessageForCli(message: string): string {
  const m = message.replace(/\.$/, '');
  for (const [re, flag] of FLAG_OF) if (re.test(m)) return m.replace(re, flag);
  return m.charAt(0).toLowerCase() + m.slice(1);
}

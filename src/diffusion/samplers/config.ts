// Runs in the inference process and the CLI (pure math, no I/O).
// Scheduler configs as diffusers reads them: each class's keys with that class's defaults, every key
// of a class honoured or refused by name, and from_config's rule when a job picks another sampler
// than the class a model ships with (the shipped class's filled config, the picked class's defaults
// for keys it lacks). Metadata keys (_class_name, _diffusers_version) are not settings.

type Check = (v: unknown) => string | undefined;

const oneOf =
  (...allowed: unknown[]): Check =>
  (v) =>
    allowed.includes(v) ? undefined : `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')} here (supported values)`;
const isBool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const isNum: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number');
const isPositive: Check = (v) => isNum(v) ?? ((v as number) > 0 ? undefined : 'must be above 0');
const isInt =
  (min: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min ? undefined : `must be an integer >= ${min}`;
const isOptPositive: Check = (v) => (v === null ? undefined : isPositive(v));
const isBetas: Check = (v) =>
  v === null || (Array.isArray(v) && v.length >= 2 && v.every((b) => typeof b === 'number' && b > 0 && b < 1))
    ? undefined
    : 'must be null or a list of betas in (0, 1)';
/** lambda_min_clipped: only "no clipping" (-inf, which JSON cannot spell: null or absent). */
const noLambdaClip: Check = (v) =>
  v === null || v === '-inf' || v === '-Infinity' || v === -Infinity ? undefined : 'clipping lambda is not supported (leave it out)';

export interface Key {
  def: unknown;
  check: Check;
}
const key = (def: unknown, check: Check): Key => ({ def, check });

const COMMON: Record<string, Key> = {
  num_train_timesteps: key(1000, isInt(2)),
  beta_start: key(0.0001, isPositive),
  beta_end: key(0.02, isPositive),
  beta_schedule: key('linear', oneOf('linear', 'scaled_linear', 'squaredcos_cap_v2')),
  trained_betas: key(null, isBetas),
  prediction_type: key('epsilon', oneOf('epsilon', 'v_prediction', 'sample')),
  steps_offset: key(0, isInt(0)),
  rescale_betas_zero_snr: key(false, isBool),
};
const spacing = (def: string): Key => key(def, oneOf('leading', 'trailing', 'linspace', 'strided'));
const BOUNDING: Record<string, Key> = {
  clip_sample: key(true, isBool),
  clip_sample_range: key(1, isPositive),
  thresholding: key(false, isBool),
  dynamic_thresholding_ratio: key(0.995, (v) => isNum(v) ?? ((v as number) > 0 && (v as number) <= 1 ? undefined : 'must be in (0, 1]')),
  sample_max_value: key(1, isPositive),
};

/** The scheduler classes this project runs: each key it honours, with diffusers' default for the class. */
export const SCHEDULER_CLASSES: Record<string, Record<string, Key>> = {
  DDPMScheduler: {
    ...COMMON,
    ...BOUNDING,
    timestep_spacing: spacing('leading'),
    variance_type: key('fixed_small', oneOf('fixed_small', 'learned_range')),
  },
  DDIMScheduler: { ...COMMON, ...BOUNDING, timestep_spacing: spacing('leading'), set_alpha_to_one: key(true, isBool) },
  PNDMScheduler: {
    ...COMMON,
    prediction_type: key('epsilon', oneOf('epsilon', 'v_prediction')),
    timestep_spacing: spacing('leading'),
    skip_prk_steps: key(false, isBool),
    set_alpha_to_one: key(false, isBool),
  },
  EulerDiscreteScheduler: {
    ...COMMON,
    prediction_type: key('epsilon', oneOf('epsilon', 'v_prediction', 'sample')),
    timestep_spacing: spacing('linspace'),
    interpolation_type: key('linear', oneOf('linear')),
    use_karras_sigmas: key(false, isBool),
    use_exponential_sigmas: key(false, oneOf(false)),
    use_beta_sigmas: key(false, oneOf(false)),
    sigma_min: key(null, isOptPositive),
    sigma_max: key(null, isOptPositive),
    timestep_type: key('discrete', oneOf('discrete')),
    final_sigmas_type: key('zero', oneOf('zero', 'sigma_min')),
  },
  EulerAncestralDiscreteScheduler: { ...COMMON, timestep_spacing: spacing('linspace') },
  DPMSolverMultistepScheduler: {
    ...COMMON,
    timestep_spacing: spacing('linspace'),
    solver_order: key(2, oneOf(1, 2)),
    algorithm_type: key('dpmsolver++', oneOf('dpmsolver++')),
    solver_type: key('midpoint', oneOf('midpoint', 'heun')),
    lower_order_final: key(true, isBool),
    euler_at_final: key(false, isBool),
    use_karras_sigmas: key(false, isBool),
    use_exponential_sigmas: key(false, oneOf(false)),
    use_beta_sigmas: key(false, oneOf(false)),
    use_lu_lambdas: key(false, oneOf(false)),
    use_flow_sigmas: key(false, oneOf(false)),
    flow_shift: key(1, isPositive),
    use_dynamic_shifting: key(false, oneOf(false)),
    time_shift_type: key('exponential', oneOf('exponential')),
    final_sigmas_type: key('zero', oneOf('zero', 'sigma_min')),
    lambda_min_clipped: key(null, noLambdaClip),
    // fixed_small (a DDPM-style config's value) means no learned variance, as null does.
    variance_type: key(null, oneOf(null, 'fixed_small', 'learned_range')),
    thresholding: BOUNDING.thresholding,
    dynamic_thresholding_ratio: BOUNDING.dynamic_thresholding_ratio,
    sample_max_value: BOUNDING.sample_max_value,
  },
  FlowMatchEulerDiscreteScheduler: {
    num_train_timesteps: COMMON.num_train_timesteps,
    shift: key(1, isPositive),
    use_dynamic_shifting: key(false, oneOf(false)),
    base_shift: key(0.5, isNum),
    max_shift: key(1.15, isNum),
    base_image_seq_len: key(256, isInt(1)),
    max_image_seq_len: key(4096, isInt(1)),
    invert_sigmas: key(false, oneOf(false)),
    shift_terminal: key(null, oneOf(null)),
    use_karras_sigmas: key(false, oneOf(false)),
    use_exponential_sigmas: key(false, oneOf(false)),
    use_beta_sigmas: key(false, oneOf(false)),
    time_shift_type: key('exponential', oneOf('exponential', 'linear')),
    stochastic_sampling: key(false, oneOf(false)),
  },
  LCMScheduler: {
    ...COMMON,
    ...BOUNDING,
    beta_start: key(0.00085, isPositive),
    beta_end: key(0.012, isPositive),
    beta_schedule: key('scaled_linear', COMMON.beta_schedule.check),
    clip_sample: key(false, isBool),
    set_alpha_to_one: key(true, isBool),
    timestep_spacing: spacing('leading'),
    original_inference_steps: key(50, isInt(1)),
    timestep_scaling: key(10, isPositive),
  },
};

/** Keys that describe a config file, not a setting. */
const METADATA = new Set(['_class_name', '_diffusers_version', '_use_default_values', '_name_or_path']);

/** A config resolved for one class: every key of the class, and what was left out. */
export interface ResolvedScheduler {
  className: string;
  settings: Record<string, unknown>;
  /** Keys of the given config that the class does not take (diffusers ignores them too). */
  ignored: string[];
}

/** Whether a class name is one this project runs. */
export function isSchedulerClass(name: string): boolean {
  return Object.hasOwn(SCHEDULER_CLASSES, name);
}

/**
 * Fill a config for `className` with that class's diffusers defaults and check every key it honours;
 * throws a RangeError naming each refused key and why (an unknown class names the supported ones).
 */
export function resolveScheduler(config: Record<string, unknown>, className: string): ResolvedScheduler {
  const keys = SCHEDULER_CLASSES[className];
  if (!keys)
    throw new RangeError(
      `scheduler class "${className}" is not supported; supported: ${Object.keys(SCHEDULER_CLASSES).join(', ')}`,
    );
  const settings: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, k] of Object.entries(keys)) {
    const given = config[name];
    const value = given === undefined ? k.def : given;
    const bad = value === k.def ? undefined : k.check(value);
    if (bad) problems.push(`${name} = ${JSON.stringify(value)}: ${bad}`);
    settings[name] = value;
  }
  if (problems.length > 0) throw new RangeError(`${className}: ${problems.join('; ')}`);
  const ignored = Object.keys(config).filter((k) => !METADATA.has(k) && !Object.hasOwn(keys, k));
  return { className, settings, ignored };
}

/**
 * The config a sampler of class `className` runs with on a model, as diffusers' from_config does:
 * the model's config filled with its own class's defaults (when it names one), then the sampler's
 * class defaults for keys that config does not have.
 */
export function configForClass(modelConfig: Record<string, unknown>, className: string): ResolvedScheduler {
  const shipped = typeof modelConfig._class_name === 'string' ? modelConfig._class_name : undefined;
  const filled = shipped && isSchedulerClass(shipped) ? resolveScheduler(modelConfig, shipped).settings : modelConfig;
  return resolveScheduler({ ...modelConfig, ...filled }, className);
}

/** One line naming a model's scheduler class, the sampler that runs it, the keys applied and the keys the class does not take. */
export function schedulerSummary(config: Record<string, unknown>, sampler: string): string {
  const cls = typeof config._class_name === 'string' ? config._class_name : 'the project scheduler';
  const r = resolveScheduler(config, isSchedulerClass(cls) ? cls : 'DDPMScheduler');
  const applied = Object.entries(r.settings)
    .filter(([k]) => k !== 'trained_betas' || r.settings[k] !== null)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? `[${v.length} values]` : JSON.stringify(v)}`);
  const ignored = r.ignored.length > 0 ? `; not used by ${cls}: ${r.ignored.join(', ')}` : '';
  return `scheduler ${cls} -> sampler ${sampler}; applied: ${applied.join(', ')}${ignored}`;
}

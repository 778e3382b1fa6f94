// Platform-neutral command contract: a command is a spec (name, options, limits, defaults) plus
// an execute(ctx) that turns the options into a reply. Adapters derive Discord builders, Slack
// commands and playground forms from the specs, and render the replies.
import type { Actor, Engine, JobOwner, JobSpec, QueueEntry, Technique } from '../src/jobs/api.ts';

/** Types an option can have; 'image' is an attachment the adapter stores (engine.storeUpload) before execute. */
export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'image';

/** One fixed choice of an option. */
export interface OptionChoice {
  name: string;
  value: string | number;
}

/** One option of a command. Required options come before optional ones (Discord's rule). */
export interface OptionSpec {
  name: string;
  description: string;
  type: OptionType;
  required?: boolean;
  choices?: OptionChoice[];
  /** Least value (integer, number). */
  min?: number;
  /** Greatest value (integer, number). */
  max?: number;
  /** Longest text (string). */
  maxLength?: number;
  /** Value used when the option is left out (informational for adapters; execute applies it). */
  default?: string | number | boolean;
  /** Left out, the option takes the model's default (ModelInfo.defaults[key]), resolved by the engine where the model is loaded. */
  modelDefault?: 'steps' | 'guidance' | 'noiseLevel';
}

/** A slash command, independent of the platform. */
export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** The technique a command submits, for technique commands. */
  technique?: Technique;
}

/** Option values as execute receives them; an 'image' option's value is the ImageRef from engine.storeUpload. */
export type CommandOptions = Record<string, string | number | boolean>;

/** Where commands report failures the user only sees as a short message (a pino Logger fits). */
export interface CommandLogger {
  error(obj: object, msg: string): void;
}

/** What execute gets. */
export interface CommandContext {
  engine: Engine;
  /** Who asks and where to answer (recorded on submitted jobs). */
  owner: JobOwner;
  /** The same user as an actor (for cancel permissions). */
  actor: Actor;
  options: CommandOptions;
  /** Folder of installed models, for /model (default: the repository's models/). */
  modelsDir?: string;
  /** Name of the configured default model, for /model when the engine has not loaded one yet. */
  defaultModel?: string;
  /** How the platform writes a command in help text: '/' (Discord, Slack) by default. */
  commandPrefix?: string;
  /** The adapter's logger, for errors behind a generic reply. */
  logger?: CommandLogger;
}

/** Facts about the model in use, for /model. */
export interface ModelSummary {
  name: string;
  family?: string;
  description?: string;
  license?: string;
  attribution?: string;
  /** Edge sizes of the model's images. */
  width?: number;
  height?: number;
  /** Tokens the prompt encoder knows. */
  vocabularySize?: number;
  /** Named concepts ("🚀 rocket") the model was trained on. */
  conceptCount?: number;
  /** A few example concepts. */
  examples?: string[];
  device?: string;
  /** The WebGPU adapter, when the model runs on one. */
  adapter?: string;
  /** Why the model runs on this device (auto's choice or a fallback). */
  deviceReason?: string;
  /** Effective defaults of a job that leaves these options out. */
  defaultSteps?: number;
  defaultGuidance?: number;
  defaultNoiseLevel?: number;
  /** The sampler a job that names none runs with (the manifest's, else the study's ddpm). */
  defaultSampler?: string;
  /** The diffusers scheduler class the model ships with, and every config key it applies ("steps_offset 1"). */
  schedulerClass?: string;
  schedulerApplied?: string[];
  /** Config keys the class does not take. */
  schedulerIgnored?: string[];
  /** Samplers that cannot run this model at all (e.g. flow-euler on a VP model). */
  samplersRefused?: string[];
  /** Guidance goes into the UNet (LCM's guidance embedding) instead of classifier-free guidance. */
  guidanceEmbedding?: boolean;
  /** The model's coarse data prior, in a sentence (absent: it has none). */
  prior?: string;
}

/** A reply: the job was queued. `text` is a ready-made one-line status. */
export interface JobReply {
  kind: 'job';
  jobId: string;
  position: number;
  estimatedWaitMs: number;
  spec: JobSpec;
  text: string;
  /** Show the job only to the caller (the command's `private` option, else the user's or server's setting). */
  private?: boolean;
  /** What the model understood of the prompts, shown from the first reply on ("understood: 🚀 rocket ship; unknown: zorblax"); absent for models that read prompts whole. */
  reading?: string;
}

/** A plain text reply; ephemeral = only the caller should see it where the platform allows. */
export interface TextReply {
  kind: 'text';
  text: string;
  ephemeral?: boolean;
}

/** The request was refused (bad options, limits, permissions); `message` is shown as is. */
export interface RefusalReply {
  kind: 'refusal';
  message: string;
  /** The engine's refusal code when the engine refused. */
  code?: string;
}

/** /queue: the entries plus a rendered text. */
export interface QueueReply {
  kind: 'queue';
  entries: QueueEntry[];
  text: string;
  ephemeral?: boolean;
}

/** /help: the commands plus a rendered text. */
export interface HelpReply {
  kind: 'help';
  commands: CommandSpec[];
  text: string;
  ephemeral: true;
}

/** /model: the model facts plus a rendered text. */
export interface ModelReply {
  kind: 'model';
  model: ModelSummary;
  text: string;
}

/** What execute returns. Every kind but 'refusal' carries a rendered `text`. */
export type CommandReply = JobReply | TextReply | RefusalReply | QueueReply | HelpReply | ModelReply;

/** A command: its spec and what it does. */
export interface Command {
  spec: CommandSpec;
  execute(ctx: CommandContext): Promise<CommandReply>;
}

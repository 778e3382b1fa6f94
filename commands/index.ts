// The command registry: every slash command, platform-neutral. Adapters derive their builders
// from COMMANDS and dispatch through getCommand.
import * as anagram from './anagram.ts';
import * as cancel from './cancel.ts';
import * as denoise from './denoise.ts';
import { HELP, helpCommand } from './help.ts';
import * as hybrid from './hybrid.ts';
import * as imagine from './imagine.ts';
import * as info from './info.ts';
import * as inpaint from './inpaint.ts';
import * as model from './model.ts';
import * as noise from './noise.ts';
import * as queue from './queue.ts';
import * as settings from './settings.ts';
import * as sketch from './sketch.ts';
import { PRIOR_TECHNIQUES, priorOption, privateOption } from './options.ts';
import { coerceOptions, parseTextArgs, splitCommandLine, type TextArgsResult } from './text-args.ts';
import type { Command, CommandContext, CommandOptions, CommandReply, CommandSpec } from './types.ts';

export type * from './types.ts';

/** The commands in help order; HELP marks where /help goes. */
const ORDER = [imagine, sketch, inpaint, anagram, hybrid, noise, denoise, queue, cancel, HELP, model, settings, info] as const;
const NAMES = ORDER.map((m) => (m === HELP ? HELP : m.spec.name));

/** Every command, in help order; /help offers and explains exactly these. Generating commands all take `private`. */
export const COMMANDS: readonly Command[] = ORDER.map((m) =>
  m === HELP ? helpCommand(NAMES, () => COMMANDS) : { spec: withPrivate(m.spec), execute: m.execute },
);

/** A technique command's spec with the `prior` and `private` options last (set once here, so every generating command has them). */
function withPrivate(spec: CommandSpec): CommandSpec {
  if (!spec.technique || spec.options.some((o) => o.name === privateOption.name)) return spec;
  const prior = PRIOR_TECHNIQUES.includes(spec.technique) ? [priorOption] : [];
  return { ...spec, options: [...spec.options, ...prior, privateOption] };
}

/** The command called `name` (a leading '/' is ignored, case-insensitive), or undefined. */
export function getCommand(name: string): Command | undefined {
  const n = name.replace(/^\//, '').toLowerCase();
  return COMMANDS.find((c) => c.spec.name === n);
}

/** Runs a command; an unexpected error is logged (ctx.logger, with its stack) and becomes a refusal saying so (adapters stay up). */
export async function runCommand(command: Command, ctx: CommandContext): Promise<CommandReply> {
  try {
    return await command.execute(ctx);
  } catch (err) {
    ctx.logger?.error({ err, command: command.spec.name }, 'command failed');
    return { kind: 'refusal', message: `Something went wrong running /${command.spec.name}; please try again.` };
  }
}

/** A parsed text command line: the command and its options, or one message for the user. */
export type TextCommandResult =
  | { ok: true; command: Command; options: CommandOptions; missingImages: string[] }
  | { ok: false; error: string };

/** Parses a whole line such as "/imagine a rocket ship --seed 3" (see text-args.ts for the syntax). */
export function parseTextCommand(line: string): TextCommandResult {
  const split = splitCommandLine(line);
  if (!split) return { ok: false, error: 'Write a command such as /imagine a rocket ship (see /help).' };
  const command = getCommand(split.name);
  if (!command) return { ok: false, error: `There is no command /${split.name}. Try /help.` };
  const parsed = parseTextArgs(split.rest, command.spec);
  if (!parsed.ok) return parsed;
  return { ok: true, command, options: parsed.options, missingImages: parsed.missingImages };
}

export { coerceOptions, parseTextArgs, splitCommandLine, type TextArgsResult };
export { buildCaption, captionParts, gifTitle, type CaptionOptions, type CaptionParts, type CaptionStyle } from './caption.ts';
export { noPing, quoteUserText, formatDuration, progressBar, queuedText } from './format.ts';
export { usage, helpText } from './help.ts';

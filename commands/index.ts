// The command registry: every slash command, platform-neutral. Adapters derive their builders
// from COMMANDS and dispatch through getCommand.
import * as anagram from './anagram.ts';
import * as cancel from './cancel.ts';
import * as denoise from './denoise.ts';
import * as help from './help.ts';
import * as hybrid from './hybrid.ts';
import * as imagine from './imagine.ts';
import * as inpaint from './inpaint.ts';
import * as model from './model.ts';
import * as noise from './noise.ts';
import * as queue from './queue.ts';
import * as sketch from './sketch.ts';
import type { Command } from './types.ts';

export type * from './types.ts';

/** Every command, in help order. */
export const COMMANDS: readonly Command[] = [imagine, sketch, inpaint, anagram, hybrid, noise, denoise, queue, cancel, help, model].map(
  (m) => ({ spec: m.spec, execute: m.execute }),
);

/** The command called `name` (a leading '/' is ignored, case-insensitive), or undefined. */
export function getCommand(name: string): Command | undefined {
  const n = name.replace(/^\//, '').toLowerCase();
  return COMMANDS.find((c) => c.spec.name === n);
}

/** Runs a command; an unexpected error becomes a refusal saying so (adapters stay up). */
export async function runCommand(command: Command, ctx: import('./types.ts').CommandContext): Promise<import('./types.ts').CommandReply> {
  try {
    return await command.execute(ctx);
  } catch (err) {
    return { kind: 'refusal', message: `Something went wrong running /${command.spec.name}: ${(err as Error).message}` };
  }
}

export { parseTextCommand, parseTextArgs, splitCommandLine, type TextArgsResult } from './text-args.ts';
export { buildCaption, type CaptionOptions } from './caption.ts';
export { noPing, quoteUserText, formatDuration, progressBar, queuedText } from './format.ts';
export { usage, helpText } from './help.ts';

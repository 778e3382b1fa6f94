// /help [command]: what each command does and its options.
import type { CommandContext, CommandReply, CommandSpec, OptionSpec } from './types.ts';
import { optString } from './submit.ts';

/** Names of every command, in help order (the registry's order; a test keeps them equal). */
export const COMMAND_NAMES = ['imagine', 'sketch', 'inpaint', 'anagram', 'hybrid', 'noise', 'denoise', 'queue', 'cancel', 'help', 'model'] as const;

export const spec: CommandSpec = {
  name: 'help',
  description: 'What the bot can do, or the options of one command',
  options: [
    {
      name: 'command',
      description: 'A command to explain',
      type: 'string',
      choices: COMMAND_NAMES.map((n) => ({ name: n, value: n })),
    },
  ],
};

/** "prompt [negative] [seed]": a command's options as a usage line. */
export function usage(cmd: CommandSpec, prefix = '/'): string {
  const opts = cmd.options.map((o) => (o.required ? o.name : `[${o.name}]`));
  return [`${prefix}${cmd.name}`, ...opts].join(' ');
}

function optionLine(o: OptionSpec): string {
  const bits: string[] = [];
  if (o.type === 'image') bits.push('attach an image');
  if (o.choices) bits.push(`one of ${o.choices.map((c) => c.value).join(', ')}`);
  if (o.min !== undefined && o.max !== undefined) bits.push(`${o.min}-${o.max}`);
  const extra = bits.length > 0 ? ` (${bits.join('; ')})` : '';
  return `• ${o.name}${o.required ? '' : ' (optional)'}: ${o.description}${extra}`;
}

/** Help for all commands (one line each) or one command (with its options). */
export function helpText(commands: CommandSpec[], one?: string, prefix = '/'): string {
  if (one) {
    const cmd = commands.find((c) => c.name === one);
    if (!cmd) return `There is no command ${prefix}${one}. Try ${prefix}help.`;
    const lines = [`**${usage(cmd, prefix)}**`, cmd.description, ...cmd.options.map(optionLine)];
    return lines.join('\n');
  }
  const lines = commands.map((c) => `**${usage(c, prefix)}**: ${c.description}`);
  lines.push('', 'React 🔁 on a result to draw it again with a new seed.');
  return lines.join('\n');
}

/** Lists the commands; the registry is loaded lazily (it imports this file). */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const { COMMANDS } = await import('./index.ts');
  const commands = COMMANDS.map((c) => c.spec);
  const one = optString(ctx.options, 'command')?.replace(/^\//, '');
  return { kind: 'help', commands, text: helpText(commands, one, ctx.commandPrefix ?? '/'), ephemeral: true };
}

// /help [command]: what each command does and its options.
import type { ModelInfo } from '../src/jobs/api.ts';
import { withModelDefaults } from './options.ts';
import type { Command, CommandContext, CommandReply, CommandSpec, OptionSpec } from './types.ts';
import { optString } from './submit.ts';

/** How long /help waits for the engine's model facts before it answers without them. */
const MODEL_INFO_WAIT_MS = 2000;

/** The name of /help, marking its place in the registry's order (commands/index.ts). */
export const HELP = 'help';

/** The /help spec for a registry's command names: its `command` option offers each of them. */
export function helpSpec(names: readonly string[]): CommandSpec {
  return {
    name: HELP,
    description: 'What the bot can do, or the options of one command',
    options: [
      {
        name: 'command',
        description: 'A command to explain',
        type: 'string',
        choices: names.map((n) => ({ name: n, value: n })),
      },
    ],
  };
}

/** The /help command of a registry: it offers `names` and explains the commands `registry()` holds when it runs. */
export function helpCommand(names: readonly string[], registry: () => readonly Command[]): Command {
  return { spec: helpSpec(names), execute: (ctx) => execute(ctx, registry()) };
}

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

/** The line naming the model and the defaults a job gets when steps and cfg are left out. */
export function defaultsLine(model: Pick<ModelInfo, 'name' | 'defaults'>): string {
  const d = model.defaults;
  const g = d.guidance > 1 ? `guidance ${d.guidance}` : 'no guidance';
  return `Model ${model.name}: ${d.steps} steps and ${g} unless you set steps and cfg.`;
}

/** Help for all commands (one line each) or one command (with its options); with the model's facts, option defaults name its values. */
export function helpText(
  commands: CommandSpec[],
  one?: string,
  prefix = '/',
  model?: Pick<ModelInfo, 'name' | 'defaults'>,
): string {
  const specs = model ? withModelDefaults(commands, model) : commands;
  if (one) {
    const cmd = specs.find((c) => c.name === one);
    if (!cmd) return `There is no command ${prefix}${one}. Try ${prefix}help.`;
    const lines = [`**${usage(cmd, prefix)}**`, cmd.description, ...cmd.options.map(optionLine)];
    return lines.join('\n');
  }
  const lines = specs.map((c) => `**${usage(c, prefix)}**: ${c.description}`);
  lines.push('');
  if (model) lines.push(defaultsLine(model));
  lines.push('React 🔁 on a result to draw it again with a new seed.');
  return lines.join('\n');
}

/** The engine's facts of its model, or undefined when it cannot say within MODEL_INFO_WAIT_MS. */
async function modelFacts(ctx: CommandContext): Promise<ModelInfo | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), MODEL_INFO_WAIT_MS);
  });
  try {
    const res = await Promise.race([ctx.engine.modelInfo(), late]);
    return res?.ok ? res.info : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Lists the registry's commands with the model's effective defaults, or explains one of them. */
async function execute(ctx: CommandContext, registry: readonly Command[]): Promise<CommandReply> {
  const model = await modelFacts(ctx);
  const commands = registry.map((c) => c.spec);
  const shown = model ? withModelDefaults(commands, model) : commands;
  const one = optString(ctx.options, 'command')?.replace(/^\//, '');
  return { kind: 'help', commands: shown, text: helpText(commands, one, ctx.commandPrefix ?? '/', model), ephemeral: true };
}

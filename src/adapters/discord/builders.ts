// Discord slash command definitions derived from the platform-neutral command specs: one
// SlashCommandBuilder per CommandSpec, an attachment option for each 'image' option.
import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  SlashCommandBuilder,
  type SlashCommandIntegerOption,
  type SlashCommandNumberOption,
  type RESTPostAPIApplicationCommandsJSONBody,
  type RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import { COMMANDS } from '../../../commands/index.ts';
import { jobStandsIn } from '../../../commands/options.ts';
import type { CommandSpec, OptionChoice, OptionSpec } from '../../../commands/types.ts';

/** Where commands are offered. */
export interface BuildOptions {
  /** Offer the commands in direct messages with the bot too. */
  allowDms?: boolean;
}

/** Discord's limit on a description. */
const MAX_DESCRIPTION = 100;

function describe(o: { description: string }): string {
  return o.description.length > MAX_DESCRIPTION ? o.description.slice(0, MAX_DESCRIPTION - 1) + '…' : o.description;
}

function stringChoices(choices: OptionChoice[]) {
  return choices.map((c) => ({ name: c.name.slice(0, 100), value: String(c.value) }));
}

function numberChoices(choices: OptionChoice[]) {
  return choices.map((c) => ({ name: c.name.slice(0, 100), value: Number(c.value) }));
}

/** An integer or number option: name, description, bounds and choices, as Discord takes them. */
function numeric<T extends SlashCommandIntegerOption | SlashCommandNumberOption>(x: T, o: OptionSpec, required: boolean): T {
  x.setName(o.name).setDescription(describe(o)).setRequired(required);
  if (o.min !== undefined) x.setMinValue(o.min);
  if (o.max !== undefined) x.setMaxValue(o.max);
  if (o.choices) x.addChoices(...numberChoices(o.choices));
  return x;
}

function addOption(b: SlashCommandBuilder, o: OptionSpec, required: boolean): void {
  switch (o.type) {
    case 'string':
      b.addStringOption((x) => {
        x.setName(o.name).setDescription(describe(o)).setRequired(required);
        if (o.maxLength !== undefined) x.setMaxLength(Math.min(o.maxLength, 6000));
        if (o.choices) x.addChoices(...stringChoices(o.choices));
        return x;
      });
      break;
    case 'integer':
      b.addIntegerOption((x) => numeric(x, o, required));
      break;
    case 'number':
      b.addNumberOption((x) => numeric(x, o, required));
      break;
    case 'boolean':
      b.addBooleanOption((x) => x.setName(o.name).setDescription(describe(o)).setRequired(required));
      break;
    case 'image':
      b.addAttachmentOption((x) => x.setName(o.name).setDescription(describe(o)).setRequired(required));
      break;
  }
}

/** A SlashCommandBuilder for one command spec. */
export function slashCommand(spec: CommandSpec, options: BuildOptions = {}): SlashCommandBuilder {
  const b = new SlashCommandBuilder().setName(spec.name).setDescription(describe(spec));
  b.setIntegrationTypes(ApplicationIntegrationType.GuildInstall);
  b.setContexts(options.allowDms ? [InteractionContextType.Guild, InteractionContextType.BotDM] : [InteractionContextType.Guild]);
  // An image a job: option can stand in for is optional here (Discord cannot require one of two);
  // execute asks for one of them. Discord takes required options first.
  const required = (o: OptionSpec) => (o.required ?? false) && !jobStandsIn(spec, o);
  const ordered = [...spec.options.filter(required), ...spec.options.filter((o) => !required(o))];
  for (const o of ordered) addOption(b, o, required(o));
  return b;
}

/** Name of the message action (right-click a message, Apps) that shows /info of the job a result message shows. */
export const JOB_INFO_ACTION = 'Job info';

/** Name of the message action that says how to run /sketch or /inpaint on the result a message of this bot shows. */
export const USE_AS_INPUT_ACTION = 'Use as input';

/** A message context-menu command named `name`. */
function messageAction(name: string, options: BuildOptions): RESTPostAPIContextMenuApplicationCommandsJSONBody {
  return new ContextMenuCommandBuilder()
    .setName(name)
    .setType(ApplicationCommandType.Message)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
    .setContexts(options.allowDms ? [InteractionContextType.Guild, InteractionContextType.BotDM] : [InteractionContextType.Guild])
    .toJSON();
}

/** The "Job info" message context-menu command. */
export function jobInfoAction(options: BuildOptions = {}): RESTPostAPIContextMenuApplicationCommandsJSONBody {
  return messageAction(JOB_INFO_ACTION, options);
}

/** The "Use as input" message context-menu command. */
export function useAsInputAction(options: BuildOptions = {}): RESTPostAPIContextMenuApplicationCommandsJSONBody {
  return messageAction(USE_AS_INPUT_ACTION, options);
}

/** The JSON bodies Discord's "bulk overwrite application commands" endpoint takes: every slash command, then the Job info and Use as input message actions. */
export function commandDefinitions(options: BuildOptions = {}, specs: readonly CommandSpec[] = COMMANDS.map((c) => c.spec)): RESTPostAPIApplicationCommandsJSONBody[] {
  return [...specs.map((s) => slashCommand(s, options).toJSON()), jobInfoAction(options), useAsInputAction(options)];
}

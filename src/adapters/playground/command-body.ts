// What a POST /api/jobs body asks for: the command (by name or as a text command line), its
// options checked against the command's spec, and its images as files, data URLs or references.
import {
  COMMANDS,
  coerceOptions,
  getCommand,
  parseTextArgs,
  splitCommandLine,
  type Command,
} from '../../../commands/index.ts';
import { decodeDataUrl, isDataUrl, type ParsedBody } from './body.ts';
import { HttpError } from './http-error.ts';

const IMAGE_REF = /^[0-9a-f]{64}$/;

/** The command, its checked options (images left out) and the images to store, from a parsed body. */
export function resolveCommand(body: ParsedBody): {
  command: Command;
  options: Record<string, string | number | boolean>;
  images: Record<string, Uint8Array | string>;
} {
  const { fields, files } = body;
  const text = fields.text;
  const name = fields.command;
  let command: Command | undefined;
  let raw: Record<string, unknown>;
  if (typeof text === 'string' && text.trim() !== '') {
    const split = splitCommandLine(text);
    if (!split) throw new HttpError(400, 'Start with a command, e.g. /imagine a rocket ship.', 'bad_command');
    command = lookup(split.name);
    const parsed = parseTextArgs(split.rest, command.spec);
    if (!parsed.ok) throw new HttpError(400, parsed.error, 'bad_options');
    raw = { ...parsed.options };
    const extra = fields.options;
    if (extra !== undefined) raw = { ...optionsObject(extra), ...raw };
  } else if (typeof name === 'string' && name.trim() !== '') {
    command = lookup(name);
    if (fields.options !== undefined) raw = optionsObject(fields.options);
    else {
      raw = {};
      for (const [k, v] of Object.entries(fields)) if (k !== 'command') raw[k] = v;
    }
  } else {
    throw new HttpError(
      400,
      'Say which command to run: { "command": "imagine", "options": { "prompt": "a rocket ship" } } or { "text": "/imagine a rocket ship" }.',
      'bad_command',
    );
  }

  // Images: a file part, or a data URL / stored reference among the options, by option name.
  const imageOptions = command.spec.options.filter((o) => o.type === 'image');
  const images: Record<string, Uint8Array | string> = {};
  const looseFiles = Object.keys(files).filter((k) => !imageOptions.some((o) => o.name === k));
  for (const o of imageOptions) {
    const v = raw[o.name];
    delete raw[o.name];
    if (files[o.name]) images[o.name] = files[o.name];
    else if (typeof v === 'string' && IMAGE_REF.test(v)) images[o.name] = v;
    else if (typeof v === 'string' && isDataUrl(v)) images[o.name] = decodeDataUrl(v, o.name);
    else if (v !== undefined && v !== null && v !== '') {
      throw new HttpError(
        400,
        `${o.name} must be an image: a multipart file, a base64 data URL or a stored image reference.`,
        'bad_options',
      );
    }
  }
  // A single file under another name ("file", "attachment") fills the first empty image option.
  for (const k of looseFiles) {
    const slot = imageOptions.find((o) => images[o.name] === undefined);
    if (!slot) {
      throw new HttpError(
        400,
        imageOptions.length === 0
          ? `/${command.spec.name} takes no image.`
          : `/${command.spec.name} has no image option "${k}".`,
        'bad_options',
      );
    }
    images[slot.name] = files[k];
  }
  const coerced = coerceOptions(command.spec, raw);
  if (!coerced.ok) throw new HttpError(400, coerced.error, 'bad_options');
  const missing = coerced.missingImages.filter((n) => images[n] === undefined);
  if (missing.length > 0) {
    throw new HttpError(
      400,
      `/${command.spec.name} needs ${missing.map((n) => `an ${n}`).join(' and ')}: attach one.`,
      'missing_image',
    );
  }
  return { command, options: coerced.options, images };
}

function lookup(name: string): Command {
  const c = getCommand(name);
  if (!c) {
    const names = COMMANDS.map((x) => '/' + x.spec.name).join(', ');
    throw new HttpError(
      400,
      `There is no command /${name.replace(/^\//, '')}. Commands: ${names}.`,
      'unknown_command',
    );
  }
  return c;
}

function optionsObject(v: unknown): Record<string, unknown> {
  let o = v;
  if (typeof o === 'string') {
    try {
      o = JSON.parse(o);
    } catch {
      throw new HttpError(400, 'options must be a JSON object.', 'bad_options');
    }
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new HttpError(400, 'options must be an object.', 'bad_options');
  for (const [k, x] of Object.entries(o)) {
    if (x !== null && typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
      throw new HttpError(400, `Option ${k} must be a string, number or boolean.`, 'bad_options');
    }
  }
  return { ...(o as Record<string, unknown>) };
}

// Runs in the inference process and the CLI.
// One way to read a model's JSON files: read, parse, validate with a zod schema, and fail with a
// ModelError that names the file and never quotes its bytes (V8's parse message shows them).
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ModelError } from './errors.ts';
import { jsonProblem } from './model-files.ts';

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Parsed JSON of `file`; `what` names it in errors ("Cannot read model manifest …", "Model manifest … is not valid JSON"). */
export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ModelError('bad-manifest', `Cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    // Never the parser's own message (nor the error as cause): it quotes the file's first bytes.
    throw new ModelError('bad-manifest', `${capital(what)} ${file} ${jsonProblem(err)}`);
  }
}

/** Parsed JSON of `file` validated by `schema`; the first schema issue names its path ("Invalid concept list …: `0.emoji`: …"). */
export function readJsonFileAs<S extends z.ZodType>(file: string, schema: S, what: string): z.output<S> {
  const r = schema.safeParse(readJsonFile(file, what));
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ModelError('bad-manifest', `Invalid ${what} ${file}: \`${issue.path.join('.')}\`: ${issue.message}`);
  }
  return r.data;
}

// Shared by the bot's process, the inference process and the CLI.
// A job spec in one line of text, for status messages and logs.
import type { JobSpec } from './spec.ts';

/** A short one-line description of a spec, for captions and logs (never includes secrets; prompts only). */
export function describeSpec(spec: JobSpec): string {
  const q = (s: string) => JSON.stringify(s);
  switch (spec.technique) {
    case 'imagine':
      return `imagine ${q(spec.prompt)}`;
    case 'sketch':
      return `sketch${spec.prompt ? ' ' + q(spec.prompt) : ''} (noise level ${spec.noiseLevel})`;
    case 'inpaint':
      return `inpaint ${q(spec.prompt)}`;
    case 'anagram':
      return `anagram ${q(spec.prompt)} / ${q(spec.prompt2 ?? '')} (${spec.view})`;
    case 'hybrid':
      return `hybrid far ${q(spec.prompt)}, near ${q(spec.prompt2 ?? '')}`;
    case 'noise':
      return `noise t=${(spec.t ?? []).join(',')}`;
    case 'denoise':
      return `denoise t=${spec.t?.[0]} (${spec.method})`;
  }
}

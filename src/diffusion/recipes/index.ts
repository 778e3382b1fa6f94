// Runs in the inference process and the CLI (pure math, no I/O).
export * from './common.ts';
export * from './sample.ts';
export * from './sdedit.ts';
export * from './inpaint.ts';
export * from './anagram.ts';
export * from './hybrid.ts';
export * from './noise.ts';
export * from './denoise.ts';
export * from './upscale.ts';

// Runs in the inference process and the CLI (pure math, no I/O).
// Public API of the diffusion core: pure math, seeded, no I/O.
export type * from './types.ts';
export * from './schedule.ts';
export * from './rng.ts';
export * from './forward.ts';
export * from './filters.ts';
export * from './step.ts';
export * from './guidance.ts';
export * from './loop.ts';
export * from './samplers/index.ts';
export * from './coarse-prior.ts';
export * from './views/view.ts';
export * from './views/registry.ts';
export * from './views/patch-shuffle.ts';
export * from './recipes/index.ts';
export * from './tiles.ts';
export * from './views/identity.ts';
export * from './views/flip.ts';
export * from './views/rotate180.ts';
export * from './views/rotate90.ts';
export * from './views/negate.ts';

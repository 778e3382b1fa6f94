// Runs in the inference process and the CLI (pure math, no I/O).
export * from './sampler.ts';
export * from './spacing.ts';
export * from './config.ts';
export * from './study.ts';
export * from './ddpm.ts';
export * from './ddim.ts';
export * from './pndm.ts';
export * from './euler.ts';
export * from './dpmpp-2m.ts';
export * from './lcm.ts';
export * from './flow-euler.ts';
export * from './karras.ts';
export * from './registry.ts';

export * from './sampler.ts';
export * from './ddpm.ts';
export * from './ddim.ts';
export * from './dpmpp-2m.ts';
export * from './euler-a.ts';
export * from './karras.ts';
export * from './registry.ts';

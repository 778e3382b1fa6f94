#!/usr/bin/env node
// The `diffuse` CLI: runs the built dist/cli/cli.js (src/adapters/cli.ts as one module) with node, building dist/ first when a
// source changed since the last build (scripts/build.mjs; a read-only install runs what is built).
import process from 'node:process';
import { ensureBuilt } from '../scripts/build.mjs';

try {
  await ensureBuilt();
} catch (err) {
  console.error(`diffuse: could not rebuild dist/ (${err instanceof Error ? err.message : err}); running the last build`);
}
const { main } = await import('../dist/cli/cli.js');
await main(process.argv.slice(2));

#!/usr/bin/env node
// Launcher of the `diffuse` CLI: registers tsx's loader in this process (resolved from this
// package, so it works from any directory and through npx), then runs src/adapters/cli.ts.
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import(new URL('../src/adapters/cli.ts', import.meta.url).href);
await main(process.argv.slice(2));

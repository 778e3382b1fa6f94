#!/usr/bin/env node
// Launcher of the `diffuse` CLI: runs src/adapters/cli.ts from its bundle (cli-bundle.mjs), or,
// where no bundle can be built, through tsx's loader (resolved from this package, so it works
// from any directory and through npx).
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { bundledCli } from './cli-bundle.mjs';

let url = await bundledCli();
if (!url) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  url = new URL('../src/adapters/cli.ts', import.meta.url).href;
}
const { main } = await import(url);
await main(process.argv.slice(2));

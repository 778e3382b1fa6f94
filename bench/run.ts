// Benchmark dispatcher: `npm run bench -- <name> [args]` imports bench/<name>.ts and calls its
// exported main(args); with no name it lists the benches that export a main.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const DIR = import.meta.dirname;

/** A bench module: main(args) prints figures. */
interface BenchModule {
  main?: (args: string[]) => unknown;
}

/** Benches in this folder (files with an exported main), with the first line of their header comment. */
function listBenches(dir: string = DIR): { name: string; about: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .map((f) => ({ name: f.slice(0, -3), text: readFileSync(join(dir, f), 'utf8') }))
    .filter((b) => /export\s+(async\s+)?function\s+main\s*\(/.test(b.text))
    .map((b) => ({ name: b.name, about: (/^\/\/\s*(.*)$/m.exec(b.text)?.[1] ?? '').trim() }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Run the bench named by args[0] with the rest of args; list benches when there is no name. */
async function run(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h') {
    const benches = listBenches();
    console.log('usage: npm run bench -- <name> [args]\n\nbenches:');
    const w = Math.max(0, ...benches.map((b) => b.name.length));
    for (const b of benches) console.log(`  ${b.name.padEnd(w)}  ${b.about}`);
    return name ? 0 : benches.length > 0 ? 0 : 1;
  }
  const file = join(DIR, `${name}.ts`);
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name) || name === 'run' || !existsSync(file)) {
    console.error(
      `bench: no bench named '${name}'; available: ${
        listBenches()
          .map((b) => b.name)
          .join(', ') || 'none'
      }`,
    );
    return 2;
  }
  const mod = (await import(pathToFileURL(file).href)) as BenchModule;
  if (typeof mod.main !== 'function') {
    console.error(`bench: bench/${name}.ts exports no main(args)`);
    return 2;
  }
  try {
    await mod.main(rest);
  } catch (err) {
    console.error(`bench ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  return 0;
}

process.exitCode = await run(process.argv.slice(2));

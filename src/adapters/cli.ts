// The `diffuse` command line: one subcommand per technique of the study, run in-process on a
// local model through the same executor as the bot's inference worker (engine/execute.ts).
// Exit status: 0 success, 2 bad usage or bad input, 1 runtime failure, 130 interrupted.
import { existsSync } from 'node:fs';
import { isEntryPoint } from '../entry-point.ts';
import { parseCommandLine } from './cli/args.ts';
import { classifyError, EXIT } from './cli/errors.ts';
import type { CliIo } from './cli/io.ts';

export type { CliIo } from './cli/io.ts';

/** Run the CLI on argv (without node and script); returns the exit code. Errors print as one line `diffuse: <message>` on stderr. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const started = performance.now();
  try {
    const req = parseCommandLine(argv);
    if (req.kind === 'help') {
      const help = await import('./cli/help.ts');
      io.stdout.write(req.subcommand ? help.subcommandHelp(req.subcommand) : help.overviewHelp());
      return EXIT.ok;
    }
    if (req.kind === 'pull') return await (await import('./cli/pull.ts')).runPull(req, io);
    const run = await import('./cli/run.ts');
    if (req.kind === 'models') return run.runModels(req, io);
    return await run.runTechnique(req, io, started);
  } catch (err) {
    const { code, message } = classifyError(err);
    io.stderr.write(`diffuse: ${message}\n`);
    if (code === EXIT.failure && io.env.DIFFUSE_DEBUG && err instanceof Error && err.stack)
      io.stderr.write(err.stack + '\n');
    return code;
  }
}

/** Entry point: runs the CLI on process.argv with Ctrl-C cancelling the job, and sets the exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // `diffuse worker`: a worker process of scale-out mode (REDIS_URL), as `npm run worker`.
  if (argv[0] === 'worker') return (await import('../cluster/worker-main.ts')).runWorkerProcess();
  // Settings from ./.env when present, as `npm start` does (variables already set win).
  if (existsSync('.env')) process.loadEnvFile('.env');
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort(new DOMException('cancelled', 'AbortError'));
  };
  process.on('SIGINT', onSigint);
  try {
    process.exitCode = await runCli(argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (isEntryPoint(import.meta.url)) await main();

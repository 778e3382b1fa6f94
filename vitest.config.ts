import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Many tests wait on child processes (the CLI, the bot's entry points, Redis, a browser), so
    // one test file per core keeps the cores busier than vitest's default of one fewer.
    maxWorkers: Math.max(2, availableParallelism()),
    // Test files share their worker's module cache: importing the source tree once per worker
    // rather than once per file. No test file changes module state that another depends on
    // (environment variables and fake timers are restored where a test sets them). Isolation
    // costs about 0.4-0.6 s of imports a file (34 files of test/diffusion, imaging, commands and
    // runtime: 11-22 s shared, 32-35 s isolated, on 2 busy cores), so order independence is
    // checked by a shuffled run instead, whose seed is printed and replays the same order:
    //   npm test -- --sequence.shuffle.files --sequence.seed=N   (.ci/run; tests inside a file keep their order)
    isolate: false,
    // Waits of expect.poll (a job finishing, a page updating) get room on a loaded 2-core machine;
    // they end as soon as the condition holds, so this never slows a passing test.
    expect: { poll: { timeout: 20_000 } },
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Waits of expect.poll (a job finishing, a page updating) get room on a loaded 2-core machine;
    // they end as soon as the condition holds, so this never slows a passing test.
    expect: { poll: { timeout: 20_000 } },
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: integration files each start servers and a database, so run two at a time.
    maxWorkers: 2,
    reporters: ['default', './tests/helpers/summaryReporter.ts'],
  },
});

// Test runner configuration: colocated unit tests, integration and end-to-end suites.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['bin/**/*.test.ts', 'services/**/*.test.ts', 'shared/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
  },
});

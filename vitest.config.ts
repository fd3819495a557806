// Test runner settings: one pool of forks (the e2e tests spawn the built CLI), no watch in CI.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    setupFiles: ["test/support/fast-check-seed.ts"],
    restoreMocks: true,
    clearMocks: true,
  },
});

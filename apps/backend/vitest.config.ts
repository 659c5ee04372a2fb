import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Process-level tests spawn servers; keep files sequential on CI's 2 cores.
    fileParallelism: false,
  },
});

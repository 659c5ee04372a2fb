import { defineConfig } from "vitest/config";

// Two projects: the engine's unit tests (fast, fake clocks, no servers) and the Linux tests that
// run against a private sshd started by the global set-up (only when they are selected).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "core",
          include: ["src/**/*.test.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "linux",
          // After the engine's tests, with their own worker limit.
          sequence: { groupOrder: 1 },
          include: ["test/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Real processes on a 2-core machine: a few files at a time.
          maxWorkers: 2,
        },
      },
    ],
  },
});

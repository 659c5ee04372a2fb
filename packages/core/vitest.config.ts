import { defineConfig } from "vitest/config";

// Three projects: the engine's unit tests (fast, fake clocks, no servers) and the Linux tests that
// run against a private sshd started by the global set-up (only when they are selected), the
// ones that use apt apart.
const APT_TESTS = ["test/linux/sudo.test.ts", "test/linux/host-check.test.ts", "test/netns/sudo.test.ts"];

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
          exclude: APT_TESTS,
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Real processes on a 2-core machine: a few files at a time.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: "linux-apt",
          // Tests that run apt (an install refreshes the package lists) or read what apt knows:
          // one file at a time, after the others, so none reads the lists while another rewrites them.
          sequence: { groupOrder: 2 },
          include: APT_TESTS,
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

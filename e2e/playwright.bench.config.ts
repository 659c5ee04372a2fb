import { defineConfig } from "@playwright/test";
import { chromiumUse } from "./chromium.js";

// The benchmark adds its screenshots to those of the specs.
process.env.NEPI_E2E_KEEP_ARTIFACTS = "1";

/** The web benchmark: prints figures, asserts no timing (see docs/benchmarks.md `## Web`). */
export default defineConfig({
  testDir: "./bench",
  testMatch: "**/*.bench.ts",
  globalSetup: "./global-setup.ts",
  outputDir: "./test-results-bench",
  workers: 1,
  retries: 0,
  timeout: 300_000,
  expect: { timeout: 120_000 },
  reporter: [["list"]],
  use: chromiumUse,
});

import { defineConfig } from "@playwright/test";
import { chromiumUse } from "./chromium.js";

/**
 * End-to-end specs: the real app (backend + built web app) in Debian's Chromium.
 * The global set-up installs what is missing, starts the server on a free port with a
 * temporary data directory, and stops it afterwards.
 */
export default defineConfig({
  testDir: "./specs",
  globalSetup: "./global-setup.ts",
  outputDir: "./test-results",
  // One browser at a time: CI has 2 cores and the journey runs real processes.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [["list"]],
  use: chromiumUse,
});

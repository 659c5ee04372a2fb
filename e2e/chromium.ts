import type { PlaywrightTestConfig } from "@playwright/test";

/** Playwright cannot download its browser here: use Debian's Chromium, quiet and sandbox-free. */
export const chromiumUse: PlaywrightTestConfig["use"] = {
  browserName: "chromium",
  headless: true,
  viewport: { width: 1440, height: 900 },
  launchOptions: {
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  },
  trace: "off",
  screenshot: "only-on-failure",
};

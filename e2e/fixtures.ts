import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test as base, expect, type Page } from "@playwright/test";

const artifactsDir = fileURLToPath(new URL("./artifacts/", import.meta.url));

export interface Shots {
  /** Saves a full-page screenshot as e2e/artifacts/<spec>-<nn>-<step>.png. */
  (step: string): Promise<void>;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60);
}

/** `baseURL` is the app the global set-up started; `shot` keeps a picture of every step. */
export const test = base.extend<{ shot: Shots; app: Page }>({
  // Playwright reads a fixture's dependencies from this destructuring: it must be there, empty.
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use) => {
    const url = process.env.NEPI_E2E_URL;
    if (!url) throw new Error("NEPI_E2E_URL is not set: the global set-up did not start the app");
    await use(url);
  },
  shot: async ({ page }, use, testInfo) => {
    mkdirSync(artifactsDir, { recursive: true });
    let n = 0;
    const prefix = slug(testInfo.titlePath.slice(1).join(" "));
    await use(async (step: string) => {
      n++;
      const file = `${artifactsDir}${prefix}-${String(n).padStart(2, "0")}-${slug(step)}.png`;
      const body = await page.screenshot({ path: file, fullPage: true });
      await testInfo.attach(step, { body, contentType: "image/png" });
    });
  },
  /** The app opened and its palette loaded from the backend's catalog. */
  app: async ({ page }, use) => {
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    // Something the server's Content-Security-Policy refused: the app would be broken there.
    page.on("console", (msg) => {
      if (/Content Security Policy/i.test(msg.text())) errors.push(msg.text());
    });
    await page.goto("/");
    await expect(
      page.getByTestId("palette-item").first(),
      `the app loads (page errors: ${errors.join(" | ") || "none"})`,
    ).toBeVisible();
    await use(page);
    // An uncaught error in the page is a bug even when the steps passed.
    expect(errors, "uncaught errors in the page").toEqual([]);
  },
});

export { expect };

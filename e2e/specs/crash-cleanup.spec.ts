import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, node, openDockTab, localHost } from "../helpers.js";
import { startApp } from "../server.js";

/** Whether a process whose command line contains `text` exists on this machine. */
function running(text: string): boolean {
  try {
    execFileSync("pgrep", ["-f", text]);
    return true;
  } catch {
    return false;
  }
}

test("a run interrupted by a server crash is shown INTERRUPTED and its clean-up ends its process", async ({ page, shot }) => {
  // Its own server (and data directory), since this one gets killed.
  const dataDir = mkdtempSync(join(tmpdir(), "nepi-e2e-crash-"));
  // A command line no other process has, to find the run's process on this machine.
  const marker = `${300 + Math.floor(Math.random() * 600)}.${Date.now() % 100000}`;
  let app = await startApp({ dataDir });
  try {
    await page.goto(app.url);
    await expect(page.getByTestId("palette-item").first()).toBeVisible();
    await importDocument(page, {
      format: DOCUMENT_FORMAT,
      name: "crash",
      resources: [
        localHost(1, "host", { x: 0, y: 0 }),
        {
          guid: 2,
          type: "linux::Application",
          label: "sleeper",
          attributes: { command: `sleep ${marker}` },
          traces: ["stdout"],
          position: { x: 320, y: 0 },
        },
      ],
      connections: [{ source: 2, target: 1 }],
      conditions: [],
    });
    await page.getByTestId("deploy").click();
    await expect(node(page, 2)).toHaveAttribute("data-state", "STARTED");
    expect(running(`sleep ${marker}`)).toBe(true);

    // The server dies; the detached command goes on. A new server on the same data finds the
    // run that was active and marks it INTERRUPTED.
    await app.crash();
    expect(running(`sleep ${marker}`)).toBe(true);
    app = await startApp({ dataDir });
    await page.goto(app.url);
    await expect(page.getByTestId("palette-item").first()).toBeVisible();
    await openDockTab(page, "history");
    const item = page.getByTestId("run-history-item").first();
    await expect(item).toHaveAttribute("data-status", "INTERRUPTED");
    await shot("interrupted run in the history");

    await item.getByTestId("cleanup-run").click();
    await expect(item.getByTestId("cleanup-run")).toHaveCount(0);
    await expect(item).toContainText("cleaned up");
    expect(running(`sleep ${marker}`)).toBe(false);
    await shot("cleaned up");
  } finally {
    // Whatever happened, the test's own command (unique command line) does not outlive it.
    if (running(`sleep ${marker}`)) execFileSync("pkill", ["-f", `sleep ${marker}`]);
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

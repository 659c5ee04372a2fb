import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type { Locator, Page } from "@playwright/test";
import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, selectNode, uniqueName, localHost } from "../helpers.js";

/** The pane's screen rows (xterm.js's DOM renderer), one string each. */
function rows(pane: Locator): Locator {
  return pane.locator(".xterm-rows > div");
}

/** A row that is exactly `text` (an output line, not the echo of the command typed). */
function row(pane: Locator, text: RegExp): Locator {
  return rows(pane).filter({ hasText: new RegExp(`^${text.source}\\s*$`) });
}

async function typeLine(page: Page, pane: Locator, line: string): Promise<void> {
  await pane.locator(".xterm-helper-textarea").focus();
  await page.keyboard.type(line);
  await page.keyboard.press("Enter");
}

test("a terminal on localhost from the designer runs what is typed, follows the pane and ends with it", async ({
  app: page,
  shot,
}) => {
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: uniqueName("terminal"),
    resources: [localHost(1, "this machine", { x: 0, y: 0 })],
  });
  await selectNode(page, 1);
  // Saves the design (the backend reads the host's settings from the saved experiment), then opens.
  await page.getByTestId("open-terminal").click();

  const pane = page.getByTestId("terminal-pane");
  await expect(pane).toHaveCount(1);
  await expect(pane.getByTestId("terminal-status")).toHaveText("local");

  const word = `hi-${randomBytes(4).toString("hex")}`;
  await typeLine(page, pane, `echo ${word}`);
  await expect(row(pane, new RegExp(word))).toHaveCount(1);
  await shot("echo in the terminal");

  // The shell's size is the pane's; resizing the pane resizes the pty.
  await typeLine(page, pane, "echo pid-$$-end");
  const pidRow = row(pane, /pid-\d+-end/);
  await expect(pidRow).toHaveCount(1);
  const pid = Number(/pid-(\d+)-end/.exec(await pidRow.innerText())![1]);
  let asked = 0;
  /** What `stty size` says now: [rows, cols]. */
  const size = async (): Promise<[number, number]> => {
    const n = ++asked;
    await typeLine(page, pane, `clear; echo size-${n}-$(stty size | tr ' ' x)-end`);
    const answer = row(pane, new RegExp(`size-${n}-\\d+x\\d+-end`));
    await expect(answer).toHaveCount(1);
    const m = /size-\d+-(\d+)x(\d+)-end/.exec(await answer.innerText())!;
    return [Number(m[1]), Number(m[2])];
  };
  const [rowsBefore, colsBefore] = await size();
  expect(rowsBefore).toBe(await rows(pane).count());
  await pane.evaluate((el) => {
    el.style.width = "420px";
    el.style.height = "240px";
  });
  // xterm refits to the smaller pane (fewer rows on screen); the resize frame leaves before what is typed next.
  await expect.poll(() => rows(pane).count()).toBeLessThan(rowsBefore);
  const [rowsAfter, colsAfter] = await size();
  expect(rowsAfter).toBe(await rows(pane).count());
  expect(colsAfter).toBeLessThan(colsBefore);
  expect(rowsAfter).toBeLessThan(rowsBefore);
  await shot("resized terminal");

  // Closing the pane ends the shell: its process is gone (the server runs on this machine).
  expect(existsSync(`/proc/${pid}`)).toBe(true);
  await pane.getByTestId("terminal-close").click();
  await expect(pane).toHaveCount(0);
  await expect.poll(() => existsSync(`/proc/${pid}`)).toBe(false);
});

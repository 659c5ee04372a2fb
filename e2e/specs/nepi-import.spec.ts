import { readFileSync } from "node:fs";
import { test, expect } from "../fixtures.js";
import { node, nodesOfType } from "../helpers.js";

// Written by hand in NEPI's XML format (the fixture core's converter is tested on).
const PING_XML = readFileSync(new URL("../../packages/core/src/import/fixtures/ping.xml", import.meta.url));

test("Import reads an experiment saved by NEPI (XML), says what was left out, and it runs", async ({ app: page, shot }) => {
  await page.getByTestId("import-file").setInputFiles({ name: "ping.xml", mimeType: "text/xml", buffer: PING_XML });
  await expect(page.getByTestId("doc-name")).toHaveText("nepi-ping");
  await expect(page.getByTestId("toast")).toContainText("not imported: experiment/@nthreads");
  await expect(nodesOfType(page, "linux::Node")).toHaveCount(1);
  await expect(nodesOfType(page, "linux::Ping")).toHaveCount(1);
  await shot("NEPI experiment imported");

  await expect(page.getByTestId("deploy")).toBeEnabled();
  await page.getByTestId("deploy").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "FINISHED");
  await page.getByTestId("release").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "RELEASED");
});

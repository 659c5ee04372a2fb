import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test, expect } from "../fixtures.js";

/** The names of the examples the server seeds on its first start (the repository's examples/). */
const examplesDir = fileURLToPath(new URL("../../examples/", import.meta.url));
const EXAMPLES = readdirSync(examplesDir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => (JSON.parse(readFileSync(examplesDir + f, "utf8")) as { name: string }).name);

test("an empty design cannot be deployed, and says why", async ({ app: page, shot }) => {
  await expect(page.getByTestId("deploy")).toBeDisabled();
  await expect(page.getByTestId("deploy")).toHaveAttribute("title", /The design is empty/);
  await expect(page.getByTestId("dry-run")).toBeDisabled();
  await shot("empty design, deploy disabled");
});

test("the Open dialog lists the examples the server ships, and opens one", async ({ app: page, shot }) => {
  expect(EXAMPLES.length).toBeGreaterThan(0);
  await page.getByTestId("open").click();
  const examples = page.getByTestId("examples");
  await expect(examples).toBeVisible();
  for (const name of EXAMPLES) await expect(examples.getByTestId("experiment-item").filter({ hasText: name })).toHaveCount(1);
  await shot("open dialog with its examples");

  await examples.getByTestId("experiment-item").filter({ hasText: "sim-dry-run" }).click();
  await expect(page.getByTestId("open-dialog")).toHaveCount(0);
  await expect(page.getByTestId("doc-name")).toHaveText("sim-dry-run");
  await expect(page.getByTestId("deploy")).toBeEnabled();
  await shot("example opened");
});

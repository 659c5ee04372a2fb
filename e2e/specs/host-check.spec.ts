import { createServer } from "node:net";
import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, node, uniqueName } from "../helpers.js";

/** A loopback port nothing listens on (taken, then freed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

test("Check hosts marks each host node, lists the problems, and Deploy asks first", async ({ app: page, shot }) => {
  const port = await closedPort();
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: uniqueName("host-check"),
    resources: [
      { guid: 1, type: "linux::Node", label: "here", attributes: { hostname: "localhost" }, position: { x: 0, y: 0 } },
      { guid: 2, type: "linux::Ping", label: "ping", attributes: { target: "127.0.0.1", count: 1 }, position: { x: 320, y: 0 } },
      {
        guid: 3,
        type: "linux::Node",
        label: "nowhere",
        attributes: { hostname: "127.0.0.1", port, username: "nobody" },
        position: { x: 0, y: 220 },
      },
    ],
    connections: [{ source: 2, target: 1 }],
  });
  await expect(node(page, 1).getByTestId("host-check-mark")).toHaveCount(0);

  await page.getByTestId("check-hosts").click();
  await expect(node(page, 1).getByTestId("host-check-mark")).toHaveAttribute("data-status", "ok");
  await expect(node(page, 1).getByTestId("host-check-mark")).toHaveText("✓ host ok");
  const bad = node(page, 3).getByTestId("host-check-mark");
  await expect(bad).toHaveAttribute("data-status", "problem");
  await expect(bad).toHaveText("× 1 problem");
  await expect(bad).toHaveAttribute("title", /refused the connection.*fix: start sshd/);
  // The ping is no host: no mark.
  await expect(node(page, 2).getByTestId("host-check-mark")).toHaveCount(0);

  const problem = page.locator('[data-testid="problem"][data-code="HOST_CHECK"]');
  await expect(problem).toHaveCount(1);
  await expect(problem).toHaveAttribute("data-guid", "3");
  await expect(problem).toContainText(`nobody@127.0.0.1:${port}: 127.0.0.1:${port} refused the connection`);
  await expect(page.getByTestId("host-check-warning")).toHaveText("⚠ 1 host failed the check");
  await shot("hosts checked: one ok, one unreachable");

  // Deploy asks; declining starts nothing.
  const asked = new Promise<string>((resolve) =>
    page.once("dialog", (d) => {
      resolve(d.message());
      void d.dismiss();
    }),
  );
  await page.getByTestId("deploy").click();
  expect(await asked).toBe("The last host check found problems on 1 host (listed under Problems). Deploy anyway?");
  await expect(page.getByTestId("run-status")).toHaveCount(0);

  // A change to the design makes the report stale: marks and warning go.
  await problem.click();
  await page.getByTestId("attr-port").fill("2");
  await page.getByTestId("attr-port").press("Tab");
  await expect(page.getByTestId("host-check-mark")).toHaveCount(0);
  await expect(page.getByTestId("host-check-warning")).toHaveCount(0);
});

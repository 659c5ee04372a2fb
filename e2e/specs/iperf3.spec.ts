import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, node, localHost } from "../helpers.js";

test("an iperf3 client's trace renders its throughput chart", async ({ app: page, shot }) => {
  // A port of its own: other suites may run iperf3 on the default one.
  const port = 20000 + Math.floor(Math.random() * 20000);
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: "iperf3 on loopback",
    resources: [
      localHost(1, "host", { x: 0, y: 0 }),
      {
        guid: 2,
        type: "linux::Iperf3",
        label: "server",
        attributes: { role: "server", port },
        traces: ["stdout"],
        position: { x: 320, y: -100 },
      },
      {
        guid: 3,
        type: "linux::Iperf3",
        label: "client",
        attributes: { role: "client", port, duration: "2s" },
        traces: ["stdout"],
        position: { x: 320, y: 120 },
      },
    ],
    connections: [
      { source: 2, target: 1 },
      { source: 3, target: 1 },
      { source: 3, target: 2 },
    ],
    conditions: [],
  });
  await expect(page.getByTestId("deploy")).toBeEnabled();
  await page.getByTestId("deploy").click();
  await expect(node(page, 3)).toHaveAttribute("data-state", "FINISHED");
  const client = page.locator('[data-testid="trace-pane"][data-guid="3"][data-trace="stdout"]');
  const chart = client.getByTestId("throughput-chart");
  // One point per second of the test.
  await expect(chart).toHaveAttribute("data-points", /^[2-9]|\d\d+$/);
  await expect(client.locator(".chart-summary")).toContainText(/[MG]bit\/s/);
  await client.scrollIntoViewIfNeeded();
  await shot("throughput chart");
  await page.getByTestId("release").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "RELEASED");
});

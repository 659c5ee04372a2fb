import { describe, expect, it, vi } from "vitest";
import type { ExperimentDocument, HostsCheckReport } from "@nepi/core";
import { createEditor, type Editor } from "../editor";
import { deployConfirmed } from "./HostChecks";

const DESIGN: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "two hosts",
  resources: [
    { guid: 1, type: "linux::Node", label: "good", attributes: { hostname: "localhost" }, traces: [], position: { x: 0, y: 0 } },
    { guid: 2, type: "linux::Node", label: "bad", attributes: { hostname: "10.0.0.9" }, traces: [], position: { x: 0, y: 200 } },
  ],
  connections: [],
  conditions: [],
};

/** What the backend answers for DESIGN: one host fine, one with a wrong key and a missing package to install. */
const REPORT: HostsCheckReport = {
  ok: false,
  at: 1,
  hosts: [
    {
      guid: 1,
      label: "good",
      target: "local",
      ok: true,
      elapsedMs: 5,
      checks: [{ name: "reachable", status: "ok", reason: "the local machine (no SSH)" }],
    },
    {
      guid: 2,
      label: "bad",
      target: "root@10.0.0.9:22",
      ok: false,
      elapsedMs: 9,
      checks: [
        { name: "reachable", status: "ok", reason: "sshd answers" },
        { name: "auth", status: "problem", reason: "authentication failed", fix: "add the key to authorized_keys" },
        {
          name: "packages",
          status: "warning",
          reason: "iperf3 is not installed: the deploy will install it",
          fix: "apt-get install iperf3 now",
        },
      ],
    },
  ],
};

function checkedEditor(): Editor {
  const editor = createEditor();
  editor.design.getState().loadDocument(DESIGN);
  editor.design.getState().setHostCheck(REPORT);
  return editor;
}

describe("host check marks", () => {
  it("marks each host node with its result, the reasons and fixes in the tooltip", () => {
    const { marks } = checkedEditor().design.getState().hostCheck;
    expect(marks[1]).toEqual({ status: "ok", problems: 0, warnings: 0, text: "✓ host ok", detail: "local: every check passed" });
    expect(marks[2]).toEqual({
      status: "problem",
      problems: 1,
      warnings: 1,
      text: "× 1 problem",
      detail:
        "× auth: authentication failed (fix: add the key to authorized_keys)\n! packages: iperf3 is not installed: the deploy will install it (fix: apt-get install iperf3 now)",
    });
    // No check yet: no mark.
    const fresh = createEditor();
    fresh.design.getState().loadDocument(DESIGN);
    expect(fresh.design.getState().hostCheck.marks[2]).toBeUndefined();
  });

  it("gives the problems panel each problem and warning on its host's guid", () => {
    const { problems, failedHosts } = checkedEditor().design.getState().hostCheck;
    expect(failedHosts).toBe(1);
    expect(problems).toEqual([
      {
        path: "hosts.auth",
        guid: 2,
        code: "HOST_CHECK",
        severity: "error",
        message: "root@10.0.0.9:22: authentication failed — fix: add the key to authorized_keys",
      },
      {
        path: "hosts.packages",
        guid: 2,
        code: "HOST_CHECK",
        severity: "warning",
        message: "root@10.0.0.9:22: iperf3 is not installed: the deploy will install it — fix: apt-get install iperf3 now",
      },
    ]);
  });

  it("keeps the report while nodes move; drops it once the design changes", () => {
    const editor = checkedEditor();
    const s = () => editor.design.getState();
    s().onNodesChange([{ type: "position", id: s().nodes[0]!.id, position: { x: 50, y: 50 } }]);
    expect(s().hostCheck.marks[2]?.status).toBe("problem");
    s().setAttribute(2, "identity", "/root/.ssh/other");
    expect(s().hostCheck).toMatchObject({ report: null, marks: {}, problems: [], failedHosts: 0 });
  });

  it("Deploy asks before running on hosts that failed the last check", () => {
    const editor = checkedEditor();
    const ask = vi.fn(() => false);
    expect(deployConfirmed(editor.design.getState(), ask)).toBe(false);
    expect(ask).toHaveBeenCalledWith("The last host check found problems on 1 host (listed under Problems). Deploy anyway?");
    ask.mockReturnValue(true);
    expect(deployConfirmed(editor.design.getState(), ask)).toBe(true);
    editor.design.getState().setHostCheck({ ...REPORT, ok: true, hosts: [REPORT.hosts[0]!] });
    const never = vi.fn(() => false);
    expect(deployConfirmed(editor.design.getState(), never)).toBe(true);
    expect(never).not.toHaveBeenCalled();
  });
});

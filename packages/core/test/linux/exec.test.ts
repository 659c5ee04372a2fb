import { randomBytes, randomInt } from "node:crypto";
import { userInfo } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execOnHosts, NepiError, type ExperimentDocumentInput, type HostExecResult } from "../../src/node.js";
import { freePort, startSshd, type PrivateSshd } from "../../src/bench/sshd.js";
import { processes } from "../support/linux.js";

// A private sshd of this file's own, so that its open sessions are this file's alone.
let sshd: PrivateSshd;
let closedPort: number;
beforeAll(async () => {
  sshd = await startSshd();
  closedPort = await freePort();
});
afterAll(async () => sshd?.stop());

function design(): ExperimentDocumentInput {
  const ssh = {
    hostname: sshd.host,
    port: sshd.port,
    username: userInfo().username,
    identity: sshd.identity,
    knownHosts: sshd.knownHosts,
    strictHostKeyChecking: "yes",
  };
  return {
    format: "nepi-experiment@1",
    name: "test-exec",
    resources: [
      { guid: 1, type: "linux::Node", label: "local", attributes: { hostname: "localhost" } },
      { guid: 2, type: "linux::Node", label: "ssh", attributes: ssh },
      // Nothing listens there: the host is unreachable.
      { guid: 3, type: "linux::Node", label: "down", attributes: { ...ssh, port: closedPort } },
      { guid: 4, type: "linux::Ping", label: "pinger", attributes: { target: "127.0.0.1" } },
      { guid: 5, type: "linux::Node", attributes: ssh },
    ],
    connections: [{ source: 4, target: 1 }],
  };
}

const byLabel = (rs: HostExecResult[]) => Object.fromEntries(rs.map((r) => [r.label, r]));

describe("one command on many hosts (execOnHosts)", () => {
  it("runs on every host at once: each one's output and exit code, an unreachable one its error", async () => {
    const token = randomBytes(6).toString("hex");
    const seen: string[] = [];
    const results = await execOnHosts(design(), `echo ${token}; echo to-stderr >&2; printf '%s' "$0" >/dev/null`, {
      onResult: (r) => seen.push(r.label),
    });
    // The design's order, whatever order they answered in; the label-less host named by its guid.
    expect(results.map((r) => r.label)).toEqual(["local", "ssh", "down", "guid 5"]);
    expect(seen.sort()).toEqual(["down", "guid 5", "local", "ssh"]);
    const r = byLabel(results);
    for (const label of ["local", "ssh", "guid 5"]) {
      expect(r[label]).toMatchObject({ ok: true, code: 0, stdout: `${token}\n`, stderr: "to-stderr\n" });
      expect(r[label]!.error).toBeUndefined();
      expect(r[label]!.durationMs).toBeGreaterThan(0);
    }
    expect(r.local!.address).toBe("local");
    expect(r.ssh!.address).toBe(`${userInfo().username}@${sshd.host}:${sshd.port}`);
    expect(r.down).toMatchObject({
      ok: false,
      code: null,
      stdout: "",
      address: `${userInfo().username}@${sshd.host}:${closedPort}`,
    });
    expect(r.down!.error).toMatch(/^cannot connect after 1 attempt\(s\): .*ECONNREFUSED/);
    // Every connection was closed once answered.
    expect(await sshd.sessionPids()).toEqual([]);
  });

  it("reports a failing command with its exit code and stderr, the others unaffected", async () => {
    const results = await execOnHosts(
      design(),
      `if [ "$(id -u)" = 0 ] && [ -z "$SSH_CONNECTION" ]; then echo local-fails >&2; exit 7; fi; echo fine`,
      { hosts: ["local", "ssh"] },
    );
    const r = byLabel(results);
    expect(r.local).toMatchObject({ ok: false, code: 7, stdout: "", stderr: "local-fails\n" });
    expect(r.local!.error).toBeUndefined();
    expect(r.ssh).toMatchObject({ ok: true, code: 0, stdout: "fine\n" });
  });

  it("--hosts: only the named hosts, by label or guid", async () => {
    const results = await execOnHosts(design(), "echo hi", { hosts: [5, "ssh"] });
    expect(results.map((r) => [r.label, r.stdout])).toEqual([
      ["ssh", "hi\n"],
      ["guid 5", "hi\n"],
    ]);
  });

  it("refuses a name that is no host of the design, naming it", async () => {
    const refusal = (hosts: Array<string | number>) =>
      execOnHosts(design(), "true", { hosts }).then(
        () => undefined,
        (e: NepiError) => e,
      );
    const unknown = await refusal(["ssh", "nope"]);
    expect(unknown).toBeInstanceOf(NepiError);
    expect(unknown).toMatchObject({ code: "BAD_VALUE", path: "hosts[1]" });
    expect(unknown!.message).toBe('hosts[1]: no host labelled "nope" in the design (its hosts: local, ssh, down, guid 5)');
    expect((await refusal(["pinger"]))!.message).toMatch(/^hosts\[0\]: "pinger" is a linux::Ping, not a host/);
    expect((await refusal([42]))!.message).toMatch(/^hosts\[0\]: no host with guid 42 in the design/);
  });

  it("refuses a design whose chosen host is not valid, and a design with no host", async () => {
    const doc = design();
    doc.resources[1]!.attributes = { ...doc.resources[1]!.attributes, port: 0 };
    const bad = await execOnHosts(doc, "true", { hosts: ["ssh"] }).catch((e: NepiError) => e);
    expect(bad).toMatchObject({ code: "INVALID_DOCUMENT", path: "resources[1].attributes.port" });
    // The other hosts of the same design are still usable.
    expect((await execOnHosts(doc, "echo ok", { hosts: ["local"] }))[0]).toMatchObject({ ok: true, stdout: "ok\n" });
    const none = await execOnHosts({ format: "nepi-experiment@1", name: "x", resources: [] }, "true").catch((e: NepiError) => e);
    expect(none).toMatchObject({ code: "BAD_VALUE", path: "hosts" });
  });

  it("ends a command that runs past its timeout, on every host, and says so", async () => {
    // A sleep no other process has on its command line.
    const token = `sleep 59.${randomInt(1e9)}`;
    const results = await execOnHosts(design(), token, { hosts: ["local", "ssh"], timeoutMs: 300 });
    for (const r of results) {
      expect(r).toMatchObject({ ok: false, code: 124, error: "timed out after 0.3 s" });
    }
    expect(processes().filter((p) => p.includes(token))).toEqual([]);
  });

  it("cuts an output longer than the limit, and says so", async () => {
    const [r] = await execOnHosts(design(), "head -c 5000 /dev/zero | tr '\\0' x", { hosts: ["ssh"], maxOutput: 1000 });
    expect(r).toMatchObject({ ok: true, truncated: true });
    expect(r!.stdout).toBe("x".repeat(1000));
  });
});
